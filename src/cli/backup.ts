/**
 * `ironbridge backup --out FILE` (online, while the server runs) and `ironbridge restore --from FILE` (the server
 * stopped); see platform/backup.ts for what a backup holds and how it stays consistent.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config.js';
import { backupDataDir, BackupError, restoreDataDir, type BackupSummary } from '../platform/backup.js';
import { adminConfig } from './datadir.js';
import { type CommonOptions, dataDirOption, jsonOption, note, print, table, UsageError } from './output.js';

const human = (verb: string, s: BackupSummary) => `${verb} ${s.file} (${s.createdAt})\n${table(s.databases.map((d) => ({ ...d })), ['name', 'bytes', 'sha256'])}`;

const usage = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BackupError) throw new UsageError(err.message);
    throw err;
  }
};

export function registerBackupCommands(program: Command): void {
  program.command('backup')
    .description('write a consistent backup of every database of the data directory into one file, while the server runs '
      + '(example: ironbridge backup --data-dir /var/lib/ironbridge --out ironbridge-2026-12-02.backup)')
    .requiredOption('--out <file>', 'backup file to write (replaced if it exists; mode 0600: it holds secret hashes and signing keys)')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { out: string }) => {
      const config = adminConfig(opts);
      const summary = await usage(() => backupDataDir(config.dataDir, path.resolve(opts.out)));
      print(opts, summary, () => human('backup written to', summary));
    });
  program.command('restore')
    .description('restore a backup into a data directory whose server is stopped (example: ironbridge restore --from x.backup --data-dir ./data)')
    .requiredOption('--from <file>', 'backup file written by ironbridge backup')
    .option('--force', 'replace the databases the directory already holds')
    .addOption(dataDirOption()).addOption(jsonOption())
    .action(async (opts: CommonOptions & { from: string; force?: boolean }) => {
      // Restore may create the directory: the one admin command besides serve that does.
      const dataDir = loadConfig({ dataDir: opts.dataDir, logLevel: 'silent' }).dataDir;
      note(`data directory ${dataDir}`);
      const summary = await usage(() => restoreDataDir(path.resolve(opts.from), dataDir, opts.force ?? false));
      print(opts, summary, () => human('restored from', summary));
    });
}
