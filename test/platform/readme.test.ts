/** The README's configuration table is the one generated from src/core/config.ts. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { settingsMarkdown } from '../../src/core/config.js';
import { ROOT } from '../helpers/server.js';

it('README configuration table matches the defaults module', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(settingsMarkdown()), 'run `npm run docs` to regenerate the table');
  assert.ok(readme.includes('npm install && npm start') && readme.includes('npm test'));
});
