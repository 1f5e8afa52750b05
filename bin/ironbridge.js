#!/usr/bin/env node
// Entry point of the `ironbridge` command; the TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/src/cli/main.js';

await main(process.argv);
