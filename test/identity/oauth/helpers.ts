/** Test helpers of the web app sign-in: client registration over REST, the steps of the code flow, OAuth error bodies. */
import { createHash, randomBytes } from 'node:crypto';
import type { TestServer } from '../../helpers/server.js';

export const form = (v: Record<string, string>): string => new URLSearchParams(v).toString();
export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

export interface OAuthApp {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}

/** Registers an OAuth client through the REST API (201 expected). */
export async function registerOAuthClient(s: TestServer, confidential = false, name = 'Acme Dashboard'): Promise<OAuthApp> {
  const redirectUri = 'http://app.example.com/callback';
  const res = await s.api('/api/gatewayregistry/v1/oauthclients', { method: 'POST', body: JSON.stringify({ name, redirectUris: [redirectUri], confidential }) });
  if (res.status !== 201) throw new Error(`OAuth client registration failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { clientId: string; clientSecret?: string };
  return { clientId: body.clientId, clientSecret: body.clientSecret, redirectUri };
}

/** `Basic` credentials with both parts form-encoded first (RFC 6749 §2.3.1). */
export const basicAuth = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Logs the (existing) user in on the consent page and approves; returns the code and the PKCE verifier. */
export async function authorizeCode(s: TestServer, app: OAuthApp, email: string, password = 'correct-horse-battery'):
  Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const res = await fetch(`${s.url}/oauth/webapp/authorize`, { method: 'POST', redirect: 'manual', headers: formHeaders, body: form({
    response_type: 'code', client_id: app.clientId, redirect_uri: app.redirectUri, code_challenge: challenge,
    code_challenge_method: 'S256', email, password, decision: 'allow' }) });
  if (res.status !== 302) throw new Error(`authorization failed: ${res.status} ${await res.text()}`);
  const code = new URL(res.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error(`no code in ${res.headers.get('location')}`);
  return { code, verifier };
}

/** POSTs a form to an OAuth endpoint of the web app flow (token or revoke). */
export const oauthPost = (s: TestServer, endpoint: 'token' | 'revoke', body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${s.url}/oauth/webapp/${endpoint}`, { method: 'POST', headers: { ...formHeaders, ...headers }, body: form(body) });

export interface OAuthTokens {
  access_token: string;
  refresh_token: string;
  refresh_expires_in: number;
}

export async function oauthError(res: Response): Promise<{ status: number; error: string; description: string }> {
  const body = (await res.json()) as { error: string; error_description: string };
  return { status: res.status, error: body.error, description: body.error_description };
}
