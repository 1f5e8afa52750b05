/**
 * The error catalogue and its three wire shapes (reference §0.1).
 * Every error a handler raises is an AppError made from a catalogue entry; the bodies are built only in
 * renderError(). Contexts add their own entries with defineError() in their errors.ts; codes are unique
 * across the process (checked at definition time).
 */

export type ErrorShape = 'errors' | 'legacy' | 'uaa';

export interface MessageParameter {
  name: string;
  value: string;
}

export interface ErrorDefinition<P extends string> {
  code: string;
  status: number;
  /** Message template with `{param}` placeholders, substituted from the parameters. */
  template: string;
  /** OAuth error code, used in the UAA shape. */
  oauth: string;
  (params: Record<P, string | number>): AppError;
}

const registry = new Map<string, ErrorDefinition<string>>();

export class AppError extends Error {
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly parameters: MessageParameter[],
    readonly oauth: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
}

const defaultOauth = (status: number): string =>
  status === 401 ? 'unauthorized' : status === 403 ? 'access_denied' : status >= 500 ? 'server_error' : 'invalid_request';

export function defineError<P extends string = never>(
  code: string,
  status: number,
  template: string,
  oauth: string = defaultOauth(status),
): ErrorDefinition<P> {
  if (registry.has(code)) throw new Error(`error code ${code} defined twice`);
  const make = ((params: Record<P, string | number>) => {
    const parameters = Object.entries(params).map(([name, value]) => ({ name, value: String(value) }));
    const message = template.replace(/\{(\w+)\}/g, (m, name: string) =>
      name in params ? String((params as Record<string, unknown>)[name]) : m);
    return new AppError(status, code, message, parameters, oauth);
  }) as ErrorDefinition<P>;
  Object.assign(make, { code, status, template, oauth });
  registry.set(code, make as unknown as ErrorDefinition<string>);
  return make;
}

export function catalogue(): ReadonlyMap<string, ErrorDefinition<string>> {
  return registry;
}

/** Generic codes listed in the Insights Hub spec headers (reference §0.1). */
export const Generic = {
  missingParameter: defineError<'name'>('mdsp.core.generic.missingParameter', 400,
    'Required parameter {name} is missing.'),
  invalidParameter: defineError<'name' | 'rule'>('mdsp.core.generic.invalidParameter', 400,
    'Parameter {name} is invalid: {rule}.'),
  missingRequestBodyProperty: defineError<'name'>('mdsp.core.generic.missingRequestBodyProperty', 400,
    'Request body property {name} is missing.'),
  invalidRequestBodyProperty: defineError<'name' | 'rule'>('mdsp.core.generic.invalidRequestBodyProperty', 400,
    'Request body property {name} is invalid: {rule}.'),
  malformedBody: defineError<'reason'>('mdsp.core.generic.malformedRequestBody', 400,
    'Request body could not be read: {reason}.'),
  unauthorized: defineError<'reason'>('mdsp.core.generic.unauthorized', 401, 'Not authorized: {reason}.'),
  forbidden: defineError<'reason'>('mdsp.core.generic.forbidden', 403, 'Forbidden: {reason}.'),
  noMatch: defineError<'resource'>('mdsp.core.generic.noMatch', 404, 'No {resource} found.'),
  routeNotFound: defineError<'method' | 'path'>('mdsp.core.generic.routeNotFound', 404,
    'No endpoint {method} {path}.'),
  methodNotAllowed: defineError<'method' | 'path'>('mdsp.core.generic.methodNotAllowed', 405,
    'Method {method} is not allowed on {path}.'),
  notAcceptable: defineError<'accept'>('mdsp.core.generic.notAcceptable', 406,
    'None of the accepted media types ({accept}) can be produced; use application/json or application/xml.'),
  conflict: defineError<'reason'>('mdsp.core.generic.conflict', 409, 'Conflict: {reason}.'),
  preconditionFailed: defineError<'reason'>('mdsp.core.generic.preconditionFailed', 412,
    'Precondition failed: {reason}.'),
  payloadTooLarge: defineError<'limit'>('mdsp.core.generic.payloadTooLarge', 413,
    'Request content length limit exceeded: the body is larger than {limit} bytes.'),
  unsupportedMediaType: defineError<'contentType' | 'supported'>('mdsp.core.generic.unsupportedMediaType', 415,
    'Content type {contentType} is not supported; use {supported}.'),
  preconditionRequired: defineError<'header'>('mdsp.core.generic.preconditionRequired', 428,
    'The {header} header is required for this request.'),
  tooManyRequests: defineError<'reason'>('mdsp.core.generic.tooManyRequests', 429, 'Too many requests: {reason}.'),
  headersTooLarge: defineError<'limit'>('mdsp.core.generic.requestHeaderFieldsTooLarge', 431,
    'Request headers exceed {limit} bytes.'),
  internal: defineError('mdsp.core.generic.internalServerError', 500,
    'An internal error occurred; quote the logref when reporting it.'),
  unavailable: defineError<'reason'>('mdsp.core.generic.serviceUnavailable', 503, 'Service unavailable: {reason}.'),
};

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The one place error bodies are built. */
export function renderError(err: AppError, shape: ErrorShape, logref: string): RenderedError {
  const headers = { ...err.headers };
  switch (shape) {
    case 'uaa':
      return {
        status: err.status,
        headers,
        body: { error: err.oauth, error_description: err.message },
      };
    case 'legacy':
      return { status: err.status, headers, body: { id: logref, message: err.message } };
    case 'errors':
      return {
        status: err.status,
        headers,
        body: {
          errors: [{ code: err.code, logref, message: err.message, messageParameters: err.parameters }],
        },
      };
  }
}

const xmlEscape = (v: string): string =>
  v.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

/** XML form of a rendered body (seed 002: error bodies in JSON or XML by Accept). */
export function toXml(body: unknown, root = 'error'): string {
  const node = (name: string, value: unknown): string => {
    if (Array.isArray(value)) return value.map((v) => node(name.replace(/s$/, '') || 'item', v)).join('');
    if (value !== null && typeof value === 'object') {
      return `<${name}>${Object.entries(value).map(([k, v]) =>
        Array.isArray(v) ? `<${k}>${node(k, v)}</${k}>` : node(k, v)).join('')}</${name}>`;
    }
    return `<${name}>${xmlEscape(String(value ?? ''))}</${name}>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>${node(root, body)}`;
}
