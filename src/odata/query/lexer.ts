/**
 * The tokenizer of OData query option values (OASIS OData v4 URL Conventions ABNF, after percent-decoding):
 * identifiers, quoted strings with '' escapes, numbers, DateTimeOffset / Date / Guid literals, enum literals
 * `Ns.Type'Member'`, and punctuation. Errors name the option and the character position.
 */
import { ODataErrors } from '../errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'dateTimeOffset' | 'date' | 'guid' | 'enum'
  | '(' | ')' | ',' | '/' | ';' | '=' | '*' | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for strings (quotes removed, '' → '), the member for enums. */
  value: string;
  /** Qualified type of an enum literal. */
  enumType?: string;
  pos: number;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?:Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT:])/;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_])/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![0-9A-Za-z_.])/;
/** Identifier segments (letters, digits, _) joined by dots for qualified names; `$it`/`$root` style names too. */
const IDENT = /^[$]?[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]*)*/u;

export function tokenize(option: string, text: string, maxTokens: number): Token[] {
  const out: Token[] = [];
  const fail = (pos: number, rule: string) =>
    ODataErrors.badQuery({ target: option, rule: `${rule} at position ${pos + 1}` });
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (out.length >= maxTokens) {
      throw ODataErrors.tooLong({ target: option, limit: `at most ${maxTokens} tokens` });
    }
    const rest = text.slice(i, i + 64);
    if ('(),/;=*'.includes(c)) {
      out.push({ kind: c as TokenKind, text: c, value: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) throw fail(i, 'the string literal is not closed with a quote');
        if (text[j] === "'") {
          if (text[j + 1] === "'") { value += "'"; j += 2; continue; }
          break;
        }
        value += text[j];
        j++;
      }
      out.push({ kind: 'string', text: text.slice(i, j + 1), value, pos: i });
      i = j + 1;
      continue;
    }
    let m = DATE_TIME.exec(rest);
    if (m) { out.push({ kind: 'dateTimeOffset', text: m[0], value: m[0], pos: i }); i += m[0].length; continue; }
    m = GUID.exec(text.slice(i, i + 40));
    if (m) { out.push({ kind: 'guid', text: m[0], value: m[0], pos: i }); i += m[0].length; continue; }
    m = DATE.exec(rest);
    if (m) { out.push({ kind: 'date', text: m[0], value: m[0], pos: i }); i += m[0].length; continue; }
    m = NUMBER.exec(rest);
    if (m && (c === '-' || /\d/.test(c))) {
      out.push({ kind: 'number', text: m[0], value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    m = IDENT.exec(text.slice(i, i + 1024));
    if (m) {
      const name = m[0];
      if (text[i + name.length] === "'" && name.includes('.')) {
        // enum literal: Namespace.Type'Member'
        const close = text.indexOf("'", i + name.length + 1);
        if (close < 0) throw fail(i, 'the enumeration literal is not closed with a quote');
        const member = text.slice(i + name.length + 1, close);
        out.push({ kind: 'enum', text: text.slice(i, close + 1), value: member, enumType: name, pos: i });
        i = close + 1;
        continue;
      }
      out.push({ kind: 'ident', text: name, value: name, pos: i });
      i += name.length;
      continue;
    }
    throw fail(i, `unexpected character "${c}"`);
  }
  out.push({ kind: 'end', text: '', value: '', pos: text.length });
  return out;
}
