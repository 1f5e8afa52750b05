/** @ironbridge/sdk stands alone: it imports no server code and its package manifest publishes only dist/. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import * as sdk from '@ironbridge/sdk';
import { ROOT } from '../helpers/server.js';

it('imports only its own files, node: modules and its declared dependencies', () => {
  const dir = path.join(ROOT, 'packages/sdk');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    name: string; dependencies: Record<string, string>; exports: Record<string, unknown>; files: string[];
  };
  assert.equal(manifest.name, '@ironbridge/sdk');
  assert.deepEqual(manifest.files, ['dist', 'README.md']);
  const allowed = new Set(Object.keys(manifest.dependencies));
  for (const file of fs.readdirSync(path.join(dir, 'src'), { recursive: true }) as string[]) {
    if (!file.endsWith('.ts')) continue;
    const text = fs.readFileSync(path.join(dir, 'src', file), 'utf8');
    for (const m of text.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(path.join(dir, 'src', file)), spec);
        assert.ok(target.startsWith(path.join(dir, 'src')), `${file} imports ${spec} outside the package`);
        continue;
      }
      assert.ok(allowed.has(spec), `${file} imports ${spec}, which is not a dependency of the package`);
    }
  }
  assert.equal(typeof sdk.errorFromString, 'function');
  assert.equal(typeof sdk.Authenticator, 'function');
  assert.equal(typeof sdk.createApiProxy, 'function');
});
