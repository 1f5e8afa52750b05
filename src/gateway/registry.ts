/**
 * Gateway Registry rules (Industrial IoT Gateway docs "URL Schemes", "URL Patterns", "Cache invalidation timeout"): which web apps
 * and provider APIs a tenant has, where they live and which endpoint patterns they expose. Lookups are cached
 * until the store's change marker moves, which every lookup checks, so a change is seen by the next request of
 * this process and within a millisecond by every other (another worker, the CLI); no entry lives longer than the
 * configured maximum (12 hours).
 */
import { compileAnt, type AntPattern } from './ant.js';
import { GatewayErrors } from './errors.js';
import { NAME } from './host.js';
import { DuplicateRegistration, type AppRegistration, type GatewayStore, type RegistrationType } from './store.js';

export interface RegistrationInput {
  name: string;
  provider?: string;
  type?: RegistrationType;
  target: string;
  patterns: string[];
  cacheControl?: string;
  csp?: string;
}

export interface ResolvedApp {
  reg: AppRegistration;
  patterns: { pattern: AntPattern }[];
  target: URL;
}

const MAX_CACHED = 10_000;
const PATTERN_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]+$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;
const NAME_RULE = 'must be 2-40 lowercase letters or digits, starting with a letter';

function invalid(field: string, rule: string): never {
  throw GatewayErrors.invalidRegistration({ field, rule });
}

/** Checks a registration and returns it in stored form. */
export function validateRegistration(tenant: string, input: RegistrationInput, now: number): AppRegistration {
  const type = input.type ?? 'webapp';
  if (type !== 'webapp' && type !== 'api') invalid('type', 'must be webapp or api');
  if (typeof input.name !== 'string' || !NAME.test(input.name)) invalid('name', NAME_RULE);
  const provider = input.provider ?? '';
  if (provider !== '' && !NAME.test(provider)) invalid('provider', NAME_RULE);
  if (type === 'api' && provider === '') invalid('provider', 'is required for an API: the core API namespace belongs to the platform');
  let target: URL;
  try {
    target = new URL(input.target);
  } catch {
    invalid('target', 'must be an absolute http(s) URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') invalid('target', 'must be an http or https URL');
  if (target.username || target.password) invalid('target', 'must not contain credentials');
  if (target.search || target.hash) invalid('target', 'must not contain a query or fragment');
  if (!Array.isArray(input.patterns) || input.patterns.length === 0) invalid('patterns', 'needs at least one pattern');
  if (input.patterns.length > 100) invalid('patterns', 'at most 100 patterns');
  input.patterns.forEach((p, i) => {
    const field = `patterns[${i}]`;
    if (typeof p !== 'string' || p.length === 0 || p.length > 500) invalid(field, 'must be 1-500 characters');
    if (!p.startsWith('/')) invalid(field, 'must start with "/"');
    if (!PATTERN_CHARS.test(p)) invalid(field, 'may contain only RFC 3986 path characters and the wildcards ? * **');
    if (type === 'webapp' && /^\/api(\/|$|[*?])/.test(p)) {
      invalid(field, 'must not start with /api: that path prefix routes to APIs on every web app host');
    }
    if (type === 'api' && !/^\/v\d+(\/|$)/.test(p)) invalid(field, 'of an API must start with /v{major}, e.g. /v1/**');
  });
  const header = (field: string, v: string | undefined, max: number): string | null => {
    if (v === undefined || v === '') return null;
    if (typeof v !== 'string' || v.length > max || !HEADER_VALUE.test(v)) invalid(field, `must be at most ${max} printable ASCII characters`);
    return v;
  };
  return {
    tenant, type, name: input.name, provider, target: target.toString().replace(/\/$/, ''),
    patterns: [...new Set(input.patterns)], cacheControl: header('cacheControl', input.cacheControl, 500),
    csp: header('csp', input.csp, 4000), createdAt: now,
  };
}

export class Registry {
  private readonly cache = new Map<string, { value: ResolvedApp | null; at: number }>();
  private marker: number | undefined;

  constructor(
    private readonly store: GatewayStore,
    private readonly options: { cacheMs: number },
  ) {}

  async register(tenant: string, input: RegistrationInput): Promise<AppRegistration> {
    const reg = validateRegistration(tenant, input, Date.now());
    try {
      await this.store.register(reg);
    } catch (err) {
      if (err instanceof DuplicateRegistration) {
        throw GatewayErrors.registrationExists({ name: label(reg.name, reg.provider), tenant });
      }
      throw err;
    }
    this.cache.clear();
    return reg;
  }

  async remove(tenant: string, type: RegistrationType, name: string, provider: string): Promise<void> {
    if (!(await this.store.removeRegistration(tenant, type, name, provider))) {
      throw GatewayErrors.registrationNotFound({ name: label(name, provider), tenant });
    }
    this.cache.clear();
  }

  /** Forgets every cached lookup (after registrations changed outside register/remove: a tenant delete). */
  invalidate(): void {
    this.cache.clear();
  }

  list(tenant?: string): Promise<AppRegistration[]> {
    return this.store.listRegistrations(tenant);
  }

  /** Cached lookup of a registration with its compiled patterns; null when none is registered. */
  async resolve(tenant: string, type: RegistrationType, name: string, provider: string): Promise<ResolvedApp | null> {
    const marker = await this.store.changeMarker();
    if (marker !== this.marker) {
      this.cache.clear();
      this.marker = marker;
    }
    const key = `${tenant}|${type}|${name}|${provider}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.options.cacheMs) return hit.value;
    const reg = await this.store.getRegistration(tenant, type, name, provider);
    const value = reg ? { reg, patterns: reg.patterns.map((p) => ({ pattern: compileAnt(p) })), target: new URL(reg.target) } : null;
    if (this.options.cacheMs > 0) {
      // bounded: unknown names are cached too, and a client can make up any number of them
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { value, at: now });
    }
    return value;
  }
}

export const label = (name: string, provider: string): string => (provider ? `${name}-${provider}` : name);
