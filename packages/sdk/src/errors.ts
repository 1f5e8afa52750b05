/**
 * Error parsing for every error body a platform speaking the Insights Hub APIs emits (Insights Hub IIoT for Makers §9.1; API
 * Insights Hub API error responses): shape A `{errors:[{code,logref,message,messageParameters}]}`, shape B `{id,message}`, shape C
 * (UAA) `{error,error_description}`, OData errors (v4 `{error:{code,message}}`, v2/v3 `{"odata.error":…}`), the
 * XML renderings of those, and free text such as a low-code platform's "latest error" string around them.
 */

export interface MessageParameter {
  name: string;
  value: string;
}

/** The fields of a platform error, as `errorFromString` returns them and `IronbridgeError` carries them. */
export interface ParsedError {
  /** HTTP status; 0 when neither the text nor the error code tells it. */
  statusCode: number;
  /** Stable error code (`mdsp.core.…`, an OAuth error such as `invalid_client`, or an OData code). */
  code: string;
  /** The human-readable message of the platform. */
  message: string;
  /** Correlation id to quote when reporting the error; '' when the body has none. */
  logref: string;
  messageParameters: MessageParameter[];
}

/** Status of the generic codes (Insights Hub API error responses). */
const GENERIC_STATUS: Record<string, number> = {
  missingParameter: 400, invalidParameter: 400, missingRequestBodyProperty: 400, invalidRequestBodyProperty: 400,
  malformedRequestBody: 400, unauthorized: 401, forbidden: 403, noMatch: 404, routeNotFound: 404,
  methodNotAllowed: 405, notAcceptable: 406, conflict: 409, preconditionFailed: 412, payloadTooLarge: 413,
  unsupportedMediaType: 415, preconditionRequired: 428, tooManyRequests: 429, requestHeaderFieldsTooLarge: 431,
  internalServerError: 500, serviceUnavailable: 503, noContent: 204,
};

/** Status of the OAuth error codes (RFC 6749 §5.2). */
const OAUTH_STATUS: Record<string, number> = {
  invalid_request: 400, invalid_grant: 400, unsupported_grant_type: 400, invalid_scope: 400, invalid_client: 401,
  unauthorized_client: 401, unauthorized: 401, invalid_token: 401, access_denied: 403, insufficient_scope: 403,
  server_error: 500, temporarily_unavailable: 503,
};

/** Codes for the legacy shape, which has none: the names of the Insights Hub legacy error models. */
const LEGACY_CODE: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'notFound', 405: 'methodNotAllowed',
  409: 'conflict', 412: 'preconditionFailed', 413: 'payloadTooLarge', 415: 'unsupportedMediaType',
  428: 'preconditionRequired', 429: 'tooManyRequests', 500: 'internalServerError', 502: 'badGateway',
  503: 'serviceUnavailable', 504: 'gatewayTimeout',
};

export const HTTP_REASON: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 428: 'Precondition Required', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function statusFromText(text: string): number {
  const patterns = [
    /\b(?:HTTP(?:\/\d(?:\.\d)?)?|status(?:[ _-]?code)?|statusCode)["']?\s*[:=]?\s*["']?([1-5]\d\d)\b/i,
    /\b([45]\d\d)\s+(?:Bad|Unauthori[sz]ed|Forbidden|Not|Method|Conflict|Precondition|Payload|Request|Unsupported|Too|Internal|Service|Gateway|Unprocessable)\b/i,
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m?.[1]) return Number(m[1]);
  }
  return 0;
}

function statusFromCode(code: string): number {
  const generic = /^mdsp\.core\.generic\.(\w+)$/.exec(code);
  if (generic?.[1] && GENERIC_STATUS[generic[1]] !== undefined) return GENERIC_STATUS[generic[1]]!;
  return OAUTH_STATUS[code] ?? 0;
}

/** Candidate JSON objects embedded in a text, outermost first. */
function jsonCandidates(text: string): unknown[] {
  const out: unknown[] = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      out.push(JSON.parse(trimmed));
      return out;
    } catch { /* embedded below */ }
  }
  const end = text.lastIndexOf('}');
  for (let start = text.indexOf('{'); start >= 0 && start < end; start = text.indexOf('{', start + 1)) {
    try {
      out.push(JSON.parse(text.slice(start, end + 1)));
      break;
    } catch { /* try the next brace */ }
  }
  return out;
}

const correlationIn = (text: string): string =>
  /correlation[- _]?id["']?\s*[:=]\s*["']?([\w.-]+)/i.exec(text)?.[1] ?? '';

function fromJson(body: unknown): Omit<ParsedError, 'statusCode'> & { statusCode?: number } | undefined {
  if (!isObject(body)) return undefined;
  // Shape A
  const errors = body['errors'];
  if (Array.isArray(errors) && errors.length > 0 && isObject(errors[0])) {
    const e = errors[0];
    const params = Array.isArray(e['messageParameters'])
      ? e['messageParameters'].filter(isObject).map((p) => ({ name: str(p['name']) ?? '', value: str(p['value']) ?? '' }))
      : [];
    const extra = errors.length > 1
      ? ` (and ${errors.length - 1} more: ${errors.slice(1).map((x) => (isObject(x) ? str(x['message']) : '')).filter(Boolean).join('; ')})`
      : '';
    return {
      code: str(e['code']) ?? str(e['errorcode']) ?? '',
      message: `${str(e['message']) ?? ''}${extra}`,
      logref: str(e['logref']) ?? '',
      messageParameters: params,
    };
  }
  // OData v2/v3 verbose JSON
  const odata = isObject(body['odata.error']) ? body['odata.error'] : undefined;
  // OData v4 (and v2/v3 light): {error:{code,message}}
  const odataV4 = isObject(body['error']) ? body['error'] : undefined;
  const o = odata ?? odataV4;
  if (o) {
    const m = o['message'];
    const message = isObject(m) ? str(m['value']) ?? '' : str(m) ?? '';
    const inner = isObject(o['innererror']) ? o['innererror'] : {};
    const details = Array.isArray(o['details']) ? o['details'].filter(isObject) : [];
    const firstDetail = details[0];
    return {
      code: str(o['code']) ?? '',
      message: message || (firstDetail ? str(firstDetail['message']) ?? '' : ''),
      logref: str(inner['logref']) ?? str(inner['request-id']) ?? str(inner['correlationId']) ?? str(o['logref'])
        ?? correlationIn(message),
      messageParameters: details.map((d) => ({ name: str(d['target']) ?? str(d['code']) ?? '', value: str(d['message']) ?? '' })),
    };
  }
  // Shape C (UAA / OAuth)
  const oauthCode = str(body['error']);
  if (oauthCode !== undefined && (body['error_description'] !== undefined || OAUTH_STATUS[oauthCode] !== undefined)) {
    const description = str(body['error_description']) ?? '';
    return {
      code: oauthCode,
      message: description || oauthCode,
      logref: str(body['id']) ?? str(body['logref']) ?? correlationIn(description),
      messageParameters: [],
    };
  }
  // Shape B (legacy)
  if (typeof body['message'] === 'string') {
    const status = typeof body['status'] === 'number' ? body['status'] : undefined;
    return {
      code: str(body['code']) ?? str(body['error']) ?? '',
      message: body['message'],
      logref: str(body['id']) ?? str(body['logref']) ?? str(body['correlationId']) ?? '',
      messageParameters: [],
      ...(status !== undefined ? { statusCode: status } : {}),
    };
  }
  return undefined;
}

const xmlUnescape = (v: string): string =>
  v.replace(/&(lt|gt|amp|apos|quot);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] as string);

function fromXml(text: string): ReturnType<typeof fromJson> {
  if (!/<\w[^>]*>/.test(text)) return undefined;
  const tag = (name: string): string | undefined => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
    return m?.[1] !== undefined ? xmlUnescape(m[1]) : undefined;
  };
  const message = tag('message') ?? tag('error_description');
  if (message === undefined) return undefined;
  const params: MessageParameter[] = [];
  const paramRe = /<messageParameter><name>([^<]*)<\/name><value>([^<]*)<\/value><\/messageParameter>/g;
  for (let m = paramRe.exec(text); m; m = paramRe.exec(text)) params.push({ name: xmlUnescape(m[1]!), value: xmlUnescape(m[2]!) });
  return {
    code: tag('code') ?? (tag('error_description') !== undefined ? tag('error') : undefined) ?? '',
    message,
    logref: tag('logref') ?? tag('id') ?? correlationIn(message),
    messageParameters: params,
  };
}

/**
 * Parses an error string — a response body, or any text that contains one (an exception message, a low-code
 * platform's "latest error") — into its status, code, message and logref. Never throws.
 * `statusCode` overrides the status read from the text, for callers that know it from the response.
 */
export function errorFromString(text: string, statusCode?: number): ParsedError {
  const input = String(text ?? '');
  let parsed: ReturnType<typeof fromJson>;
  for (const candidate of jsonCandidates(input)) {
    parsed = fromJson(candidate);
    if (parsed) break;
  }
  parsed ??= fromXml(input);
  const code = parsed?.code ?? '';
  const status = statusCode || parsed?.statusCode || statusFromText(input) || statusFromCode(code);
  const fallbackMessage = input.trim() || (status ? `HTTP ${status} ${HTTP_REASON[status] ?? ''}`.trim() : 'unknown error');
  return {
    statusCode: status,
    code: code || (status ? LEGACY_CODE[status] ?? `http${status}` : ''),
    message: parsed?.message || fallbackMessage,
    logref: parsed?.logref ?? correlationIn(input),
    messageParameters: parsed?.messageParameters ?? [],
  };
}

/** What every client method throws for an unsuccessful response: the platform's fields and the request. */
export class IronbridgeError extends Error implements ParsedError {
  readonly statusCode: number;
  readonly code: string;
  readonly logref: string;
  readonly messageParameters: MessageParameter[];

  constructor(parsed: ParsedError, readonly method = '', readonly url = '', options?: { cause?: unknown }) {
    super(parsed.message, options);
    this.name = 'IronbridgeError';
    this.statusCode = parsed.statusCode;
    this.code = parsed.code;
    this.logref = parsed.logref;
    this.messageParameters = parsed.messageParameters;
  }

  /** One line for people: what was called, what failed, and the logref to quote. */
  describe(): string {
    const where = this.method ? `${this.method} ${this.url}: ` : '';
    const status = this.statusCode ? `HTTP ${this.statusCode}` : 'error';
    const ref = this.logref ? `, logref ${this.logref}` : '';
    return `${where}${this.message} (${status}${this.code ? ` ${this.code}` : ''}${ref})`;
  }

  override toString(): string {
    return `${this.name}: ${this.describe()}`;
  }

  toJSON(): ParsedError & { method: string; url: string } {
    return {
      statusCode: this.statusCode, code: this.code, message: this.message, logref: this.logref,
      messageParameters: this.messageParameters, method: this.method, url: this.url,
    };
  }
}

/** Builds the typed error of a response from its status and body text. */
export function errorFromResponse(status: number, body: string, method: string, url: string): IronbridgeError {
  return new IronbridgeError(errorFromString(body, status), method, url);
}
