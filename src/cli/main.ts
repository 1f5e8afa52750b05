/**
 * The `ironbridge` command: `serve`, the admin commands on a data directory (tenant, keys, user, app, the asset
 * model, backup and restore), the HTTP data commands (token, ts, assets list over the API, dev-proxy), completion and
 * the configuration reference. Failures end with one line on standard error and a non-zero exit code: 2 for bad
 * configuration, 1 otherwise.
 */
import { Command } from 'commander';
import { IronbridgeError, ConfigurationError as SdkConfigurationError } from '@ironbridge/sdk';
import { ConfigError, SETTINGS, settingsMarkdown } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { registerAdminCommands } from './admin.js';
import { registerAgentCommands } from './agents.js';
import { registerAssetCommands } from './assets.js';
import { registerBackupCommands } from './backup.js';
import { registerCompletion } from './completion.js';
import { registerContractCommands } from './contract.js';
import { registerDataCommands } from './data.js';
import { registerDevProxy } from './devproxy.js';
import { registerFileCommands } from './files.js';
import { registerAppCommands } from './gateway.js';
import { jsonOption, print, red, UsageError } from './output.js';
import { registerServe } from './serve.js';

export function buildProgram(): Command {
  const program = new Command('ironbridge')
    .description('Ironbridge: a self-hostable industrial IoT platform speaking the Insights Hub APIs')
    .version(VERSION, '-V, --version', 'print the version')
    // program options only before the command, so a command's own --version (contract create) is its own
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  registerServe(program);
  registerAdminCommands(program);
  registerAppCommands(program);
  registerAssetCommands(program);
  registerBackupCommands(program);
  registerDataCommands(program);
  registerContractCommands(program);
  registerDevProxy(program);
  registerFileCommands(program);
  registerAgentCommands(program);
  registerCompletion(program);

  program.command('config').description('print the configuration reference (example: ironbridge config --markdown)')
    .option('--markdown', 'as a Markdown table')
    .addOption(jsonOption())
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        print(opts, SETTINGS.map((x) => ({ flag: x.flag, env: x.env, default: x.default ?? null, description: x.description })), () => '');
        return;
      }
      process.stdout.write(`${settingsMarkdown()}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const fail = (message: string, code: number) => {
      process.stderr.write(`${red('ironbridge:', process.stderr)} ${message}\n`);
      process.exit(code);
    };
    if (err instanceof ConfigError || err instanceof SdkConfigurationError) return fail(err.message, 2);
    if (err instanceof AppError || err instanceof UsageError) return fail(err.message, 1);
    // Failures of the HTTP commands (SDK errors, unreachable platform) as one line, no stack.
    if (err instanceof IronbridgeError) return fail(err.describe(), 1);
    if (err instanceof Error) return fail(err.message, 1);
    throw err;
  }
}
