/**
 * The shape of one setting of the settings table (config.ts) and the parsers its rules are written with; each
 * parser throws an Error whose message states the rule, and loadConfig names the setting in a ConfigError.
 */
import type { Config } from './config.js';

export type Parser<T> = (raw: string) => T;

export interface Setting<K extends keyof Config> {
  key: K;
  flag: string;
  env: string;
  default: Config[K];
  description: string;
  parse: Parser<Config[K]>;
  /**
   * A valid value other than the default, used by the test that starts `ironbridge serve` with every flag. Optional:
   * for a numeric setting the test derives one (default ± 1) when this is absent. `file:TEXT` stands for the path of
   * a file (outside the data directory) holding TEXT.
   */
  example?: string;
  /** A secret (a key, a password): never printed; the ready line and `config` show it as [redacted]. */
  secret?: true;
  /** Another setting this one replaces (give one or the other, never both); the flags test starts them apart. */
  alternativeTo?: keyof Config;
}

export class ConfigError extends Error {
  constructor(readonly setting: string, message: string) {
    super(`invalid configuration ${setting}: ${message}`);
  }
}

export const int = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`${n} is outside ${min}..${max}`);
  return n;
};
export const oneOf = <T extends string>(...values: T[]): Parser<T> => (raw) => {
  if (!values.includes(raw as T)) throw new Error(`"${raw}" is not one of ${values.join(', ')}`);
  return raw as T;
};
export const text = (re: RegExp, rule: string): Parser<string> => (raw) => {
  if (!re.test(raw)) throw new Error(`"${raw}" ${rule}`);
  return raw;
};
export const bool: Parser<boolean> = (raw) => {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`"${raw}" is not true or false`);
};
