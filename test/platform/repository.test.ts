/**
 * Nothing stray gets committed: the repository's top level holds only the entries below (a debug output such as the
 * `p3` once committed by accident fails `npm test`, tracked or merely lying there unignored), and no tracked file
 * anywhere is a log, profile, heap snapshot, core dump, database or data directory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';
import { ROOT } from '../helpers/server.js';

/** The top level of the repository. A new entry belongs here only with a reason a reader would accept. */
const TOP_LEVEL = new Set([
  '.ci', '.gitignore', 'bench', 'bin', 'CHANGELOG.md', 'docs', 'LICENSE', 'package-lock.json', 'package.json',
  'packages', 'README.md', 'scripts', 'src', 'test', 'tsconfig.json',
  // the standard web apps (Vite + React), a build of its own beside the server's
  'web',
]);

const STRAY = /(^|\/)(data\/|core(\.\d+)?$)|\.(log|cpuprofile|heapprofile|heapsnapshot|db|db-wal|db-shm|tmp)$|(^|\/)report\.[^/]*\.json$/;

const git = (...args: string[]): string[] =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).split('\n').filter(Boolean);

it('the repository holds no stray files', (t) => {
  try {
    git('rev-parse', '--git-dir');
  } catch {
    t.skip('not a git checkout');
    return;
  }
  const tracked = git('ls-files');
  const untracked = git('ls-files', '--others', '--exclude-standard');
  const top = new Set([...tracked, ...untracked].map((f) => f.split('/')[0]!));
  const unexpected = [...top].filter((name) => !TOP_LEVEL.has(name)).sort();
  assert.deepEqual(unexpected, [], `stray top-level entries (delete them, ignore them, or add them to TOP_LEVEL with a reason): ${unexpected.join(', ')}`);
  const strayFiles = tracked.filter((f) => STRAY.test(f));
  assert.deepEqual(strayFiles, [], 'tracked logs, profiles, dumps or databases');
});
