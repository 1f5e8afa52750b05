/**
 * Host name schemes (Industrial IoT Gateway docs "URL Schemes"): `{tenant}-{webapp}[-{provider}].{region}[-{env}].{domain}` for web
 * apps, `gateway.{region}[-{env}].{domain}` for active clients, `southgate.{region}[-{env}].{domain}` for device
 * agents. A bare `localhost` or IP address is the gateway host, so nothing needs DNS.
 */
import { isIP } from 'node:net';

export type HostKind =
  | { kind: 'gateway'; env: string | undefined }
  | { kind: 'southgate'; env: string | undefined }
  | { kind: 'webapp'; tenant: string; app: string; provider: string | undefined; env: string | undefined }
  | { kind: 'unknown'; reason: string };

export const NAME = /^[a-z][a-z0-9]{1,39}$/;
const LABEL = /^[a-z0-9]+$/;

export function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function parseHost(header: string | undefined, domain: string, region: string): HostKind {
  if (!header) return { kind: 'gateway', env: undefined };
  const host = stripPort(header.trim().toLowerCase()).replace(/\.$/, '');
  if (host === 'localhost' || isIP(host)) return { kind: 'gateway', env: undefined };
  const suffix = `.${domain}`;
  if (!host.endsWith(suffix)) return { kind: 'unknown', reason: `the host ${host} is not under the domain ${domain}` };
  const labels = host.slice(0, -suffix.length).split('.');
  if (labels.length !== 2) return { kind: 'unknown', reason: `the host ${host} does not follow {name}.{region}[-{env}].${domain}` };
  const [first, regionLabel] = labels as [string, string];
  const [reg, env, ...rest] = regionLabel.split('-');
  if (reg !== region || rest.length > 0 || (env !== undefined && !LABEL.test(env))) {
    return { kind: 'unknown', reason: `the host ${host} is not in region ${region}` };
  }
  if (first === 'gateway') return { kind: 'gateway', env };
  if (first === 'southgate') return { kind: 'southgate', env };
  const parts = first.split('-');
  if ((parts.length === 2 || parts.length === 3) && parts.every((p) => NAME.test(p))) {
    return { kind: 'webapp', tenant: parts[0]!, app: parts[1]!, provider: parts[2], env };
  }
  return { kind: 'unknown', reason: `the host ${host} names no tenant and web application` };
}

/** `{region}[-{env}].{domain}`: the part every host of this region shares. */
export function regionSuffix(region: string, env: string | undefined, domain: string): string {
  return `${region}${env ? `-${env}` : ''}.${domain}`;
}

/** The address of a web app host, e.g. http://local-launchpad.local.localhost:8080/ (port left out when it is 80). */
export function webAppUrl(tenant: string, app: string, region: string, domain: string, port: number | string): string {
  return `http://${tenant}-${app}.${region}.${domain}${String(port) === '80' || port === '' ? '' : `:${port}`}/`;
}
