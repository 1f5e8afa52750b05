/**
 * The OData contract ("Insights Hub IIoT for Makers" §2.3.3, §2.4.3): the selected asset types, or (`kind`
 * folders) up to 20 Integrated Data Lake folders, name, version, description, environment name and type, and the
 * application name prefilled `mdsp_{tenant}`; aliases replace generated names that are not valid OData
 * identifiers. Parsing of request bodies with a 400 naming the field and the rule. Pure functions, no I/O (the
 * data lake's own path rules are checked by the registry through the port).
 */
import { Generic } from '../core/errors.js';
import { ContractErrors } from './errors.js';

export type ContractKind = 'assets' | 'folders';
export type EnvironmentType = 'sandbox' | 'production' | 'non-production';
export const ENVIRONMENT_TYPES: readonly EnvironmentType[] = ['sandbox', 'production', 'non-production'];

export interface ContractFields {
  kind: ContractKind;
  name: string;
  version: string;
  description: string;
  environmentName: string;
  environmentType: EnvironmentType;
  applicationName: string;
  /** Asset type ids (kind assets). */
  assetTypes: string[];
  /** Data lake folder paths, each ending with "/" (kind folders). */
  folders: string[];
  /** Generated name (or `{set}/{member}`) → the name to use instead. */
  aliases: Record<string, string>;
}

export interface ContractRecord extends ContractFields {
  id: string;
  tenant: string;
  published: boolean;
  publishedAt: number | null;
  /** E-mail or client id of whoever published it last. */
  publishedBy: string | null;
  etag: number;
  createdAt: number;
  updatedAt: number;
}

/** Contract names are URL path segments and part of the CSDL namespace. */
export const CONTRACT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const CONTRACT_VERSION = /^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/;
const MAX_TYPES = 100;
/** Folders of one folder contract (Integrated Data Lake folder contracts). */
export const MAX_FOLDERS = 20;
const MAX_ALIASES = 1000;

const invalid = (name: string, rule: string) => Generic.invalidRequestBodyProperty({ name, rule });

function text(body: Record<string, unknown>, key: string, max: number, fallback?: string): string {
  const v = body[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw Generic.missingRequestBodyProperty({ name: key });
  }
  if (typeof v !== 'string') throw invalid(key, 'must be a string');
  if (v.length > max) throw invalid(key, `must have at most ${max} characters`);
  return v;
}

/** Parses a create (or full update) body. */
export function parseContract(raw: unknown, tenant: string): ContractFields {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body', 'must be a JSON object');
  const body = raw as Record<string, unknown>;
  const kind = text(body, 'kind', 16, 'assets');
  if (kind !== 'assets' && kind !== 'folders') throw invalid('kind', 'must be assets or folders');
  const name = text(body, 'name', 64);
  if (!CONTRACT_NAME.test(name)) throw invalid('name', 'must start with a letter and have 1-64 letters, digits or underscores (it is part of the service URL and the OData namespace)');
  const version = text(body, 'version', 32, '1.0.0');
  if (!CONTRACT_VERSION.test(version)) throw invalid('version', 'must have 1-32 letters, digits, dots, underscores or hyphens, starting with a letter or digit');
  const envRaw = text(body, 'environmentType', 32, 'sandbox').toLowerCase();
  if (!(ENVIRONMENT_TYPES as readonly string[]).includes(envRaw)) throw invalid('environmentType', `must be one of ${ENVIRONMENT_TYPES.join(', ')}`);
  const assetTypes = kind === 'assets' ? parseAssetTypes(body) : [];
  const folders = kind === 'folders' ? parseFolders(body) : [];
  const aliasesRaw = body['aliases'] ?? {};
  if (typeof aliasesRaw !== 'object' || Array.isArray(aliasesRaw) || aliasesRaw === null) throw invalid('aliases', 'must be an object of generated name → alias');
  const entries = Object.entries(aliasesRaw as Record<string, unknown>);
  if (entries.length > MAX_ALIASES) throw invalid('aliases', `must have at most ${MAX_ALIASES} entries`);
  const aliases: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 256 || k.length > 600) {
      throw invalid(`aliases[${JSON.stringify(k.slice(0, 80))}]`, 'must be a non-empty string of at most 256 characters');
    }
    if (k === '__proto__') continue;
    aliases[k] = v;
  }
  return {
    kind, name, version,
    description: text(body, 'description', 2048, ''),
    environmentName: text(body, 'environmentName', 64, 'default'),
    environmentType: envRaw as EnvironmentType,
    applicationName: text(body, 'applicationName', 64, `mdsp_${tenant}`),
    assetTypes, folders, aliases,
  };
}

function parseAssetTypes(body: Record<string, unknown>): string[] {
  const types = body['assetTypes'];
  if (types === undefined || types === null) throw Generic.missingRequestBodyProperty({ name: 'assetTypes' });
  if (!Array.isArray(types) || types.length === 0 || types.length > MAX_TYPES) {
    throw invalid('assetTypes', `must be an array of 1 to ${MAX_TYPES} asset type ids`);
  }
  return types.map((t, i) => {
    const id = typeof t === 'object' && t !== null && !Array.isArray(t) ? (t as Record<string, unknown>)['typeId'] : t;
    if (typeof id !== 'string' || id === '' || id.length > 128) throw invalid(`assetTypes[${i}]`, 'must be an asset type id (or {"typeId": id}) of 1-128 characters');
    return id;
  });
}

/** Folder paths as given, with one trailing "/"; the data lake's path rules are the registry's check. */
function parseFolders(body: Record<string, unknown>): string[] {
  if (body['assetTypes'] !== undefined) throw invalid('assetTypes', 'belongs to contracts of kind assets; a folders contract lists folders');
  const raw = body['folders'];
  if (raw === undefined || raw === null) throw Generic.missingRequestBodyProperty({ name: 'folders' });
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_FOLDERS) {
    throw ContractErrors.tooManyFolders({ limit: MAX_FOLDERS, given: Array.isArray(raw) ? String(raw.length) : 'no array' });
  }
  const out: string[] = [];
  raw.forEach((f, i) => {
    if (typeof f !== 'string' || f === '' || f === '/' || f.length > 1024) {
      throw invalid(`folders[${i}]`, 'must be a data lake folder path such as plant/line1/ (1-1024 characters, not the root)');
    }
    const folder = f.endsWith('/') ? f : `${f}/`;
    if (out.includes(folder)) throw invalid(`folders[${i}]`, `lists ${JSON.stringify(folder)} twice`);
    out.push(folder);
  });
  return out;
}
