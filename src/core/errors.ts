/**
 * The error catalogue and its three wire shapes (Insights Hub API error responses).
 * Every error a handler raises is an AppError made from a catalogue entry; the bodies are built only in
 * renderError(). Contexts add their own entries with defineError() in their errors.ts; codes are unique
 * across the process (checked at definition time).
 */

/**
 * 's3': the XML error S3 clients expect from signed object URLs (`<Error><Code>…`), always XML.
 * 'odata': the OData JSON error body `{"error":{"code","message","target"?}}` (OASIS OData JSON Format, "Error Response").
 */
export type ErrorShape = 'errors' | 'legacy' | 'uaa' | 's3' | 'odata';

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
  /** Said to the log only (under the logref), never to the client: e.g. why an authentication failed. */
  detail: string | undefined;
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
  withDetail(detail: string): this {
    this.detail = detail;
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

/** Generic codes listed in the Insights Hub spec headers (Insights Hub API error responses). */
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
  internal: defineError('mdsp.core.generic.internalServerError', 500,
    'An internal error occurred; quote the logref when reporting it.'),
};

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const S3_CODES: Record<number, string> = {
  400: 'InvalidArgument', 403: 'AccessDenied', 404: 'NoSuchKey', 405: 'MethodNotAllowed', 409: 'OperationAborted',
  411: 'MissingContentLength', 413: 'EntityTooLarge', 416: 'InvalidRange', 503: 'SlowDown',
};

/** The S3 error code of an error: the catalogue code's last segment when it is one (upper case), else by status. */
function s3Code(err: AppError): string {
  const last = err.code.slice(err.code.lastIndexOf('.') + 1);
  return /^[A-Z]/.test(last) ? last : S3_CODES[err.status] ?? (err.status >= 500 ? 'InternalError' : 'InvalidRequest');
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
    case 's3':
      return { status: err.status, headers, body: { Code: s3Code(err), Message: err.message, RequestId: logref } };
    case 'odata': {
      // a message parameter named `target` names the query option or property the error is about
      const target = err.parameters.find((p) => p.name === 'target')?.value;
      return {
        status: err.status,
        headers,
        body: { error: { code: err.code, message: err.message, ...(target ? { target } : {}), innererror: { logref } } },
      };
    }
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

/** One item that failed in a request that succeeded as a whole; `item` names it (e.g. index, entityId). */
export interface ItemFailure {
  item: Readonly<Record<string, string | number>>;
  error: AppError;
}

/**
 * The body of a partial success (e.g. the 202 of the multi-entity IoT Time Series PUT):
 * `{"errors":[{...item, status, ...the error's fields in the shape}]}`, one entry per failed item.
 */
export function renderItemErrors(failures: readonly ItemFailure[], shape: ErrorShape, logref: string): { errors: Record<string, unknown>[] } {
  return {
    errors: failures.map(({ item, error }) => {
      const rendered = renderError(error, shape, logref);
      const fields = shape === 'errors' ? (rendered.body as { errors: object[] }).errors[0] : rendered.body;
      return { ...item, status: rendered.status, ...(fields as object) };
    }),
  };
}

const xmlEscape = (v: string): string =>
  v.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

/** XML form of a rendered body (Industrial IoT Gateway docs: error bodies in JSON or XML by Accept). */
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
