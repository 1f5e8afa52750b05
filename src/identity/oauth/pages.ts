/** The sign-in pages: the login page of web app hosts (Industrial IoT Gateway docs "AJAX Requests") and the consent page of the web app sign-in. */

export const esc = (v: string): string =>
  v.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' })[c] as string);

export function loginPage(tenant: string, returnTo: string, message: string | undefined): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${esc(tenant)}</title></head>
<body><main><h1>Sign in to ${esc(tenant)}</h1>${message ? `<p role="alert">${esc(message)}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="returnTo" value="${esc(returnTo)}">
<label>E-mail <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;
}

/** The authorization request's fields carried through the consent form. */
const AUTHORIZE_FIELDS = ['client_id', 'redirect_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'state', 'scope'];

export function consentPage(client: { name: string; tenant: string }, fields: Record<string, string | undefined>,
  message?: string, signedInAs?: string): string {
  const hidden = AUTHORIZE_FIELDS.filter((k) => fields[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${esc(fields[k]!)}">`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in with Ironbridge</title></head>
<body><main><h1>${esc(client.name)} asks to sign you in (tenant ${esc(client.tenant)})</h1>
${message ? `<p role="alert">${esc(message)}</p>` : ''}<form method="post" action="/oauth/webapp/authorize">${hidden}
${signedInAs ? `<p>Signed in as ${esc(signedInAs)}.</p>` : `<label>E-mail <input name="email" type="email" required></label>
<label>Password <input name="password" type="password" required></label>`}
<button name="decision" value="allow">Allow</button><button name="decision" value="deny" formnovalidate>Deny</button>
</form></main></body></html>`;
}
