// Rewrites the configuration table in README.md from src/core/config.ts (run after `npm run build`).
import fs from 'node:fs';
import { settingsMarkdown } from '../dist/src/core/config.js';

const file = new URL('../README.md', import.meta.url);
const readme = fs.readFileSync(file, 'utf8');
const anchor = '`src/core/config.ts` by `ironbridge config --markdown`:\n';
const start = readme.indexOf(anchor);
const end = readme.indexOf('\n## ', start);
if (start < 0 || end < 0) throw new Error('README.md: configuration section not found');
fs.writeFileSync(file, `${readme.slice(0, start + anchor.length)}\n${settingsMarkdown()}\n${readme.slice(end)}`);
