/** The package version (package.json), for `ironbridge --version`, the server record and the ready line. */
import { createRequire } from 'node:module';

// Compiled to dist/src/core/version.js: the package root is three folders up.
export const VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
