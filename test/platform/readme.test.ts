/**
 * The README tells the truth: its configuration table is the one generated from src/core/config.ts, its compatibility
 * table matches the running server's route table (a row marked works has its routes, a planned one has none yet) and
 * names tests that exist, and the Node.js versions it states are those of `engines`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { settingsMarkdown } from '../../src/core/config.js';
import { ROOT, startServer } from '../helpers/server.js';

const readme = () => fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

it('README configuration table matches the defaults module', () => {
  assert.ok(readme().includes(settingsMarkdown()), 'run `npm run docs` to regenerate the table');
  assert.ok(readme().includes('npm install && npm start') && readme().includes('npm test'));
});

it('README compatibility table matches the routes the server has and the tests that prove them', async () => {
  const section = readme().split('## What works today')[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| area') && !l.startsWith('|---'))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  assert.ok(rows.length >= 10, 'the table has its rows');
  const s = await startServer();
  try {
    const routes = s.platform.routes().map((r) => r.url);
    for (const [area, paths, state, proof] of rows) {
      assert.ok(state === 'works' || state === 'planned', `${area}: state "${state}"`);
      for (const p of [...(paths ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!)) {
        const served = routes.some((r) => r === p || r.startsWith(`${p}/`));
        if (state === 'works') assert.ok(served, `${area}: no route under ${p}, yet the README says it works`);
        else assert.ok(!served, `${area}: ${p} has routes now; mark the row "works" and name its tests`);
      }
      const proofs = [...(proof ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      if (state === 'works') assert.ok(proofs.length > 0, `${area}: name the tests that prove it`);
      for (const file of proofs) assert.ok(fs.existsSync(path.join(ROOT, file)), `${area}: ${file} does not exist`);
    }
  } finally {
    await s.close();
  }
});

it('README states the Node.js versions of engines', () => {
  const engines = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  assert.equal(engines, '^20.19.0 || ^24.0.0');
  assert.match(readme(), /Node\.js 20\.19 or newer on the 20 line, or Node\.js 24/);
});
