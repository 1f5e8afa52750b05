/**
 * Recursive-descent parser of $filter, $orderby, $select and $expand (OASIS OData v4 URL Conventions §5.1 and
 * its ABNF). Operator precedence follows the specification's table: `not` binds tighter than the relational
 * operators, which bind tighter than eq/ne, then `and`, then `or`. Work is bounded before it is done: the option
 * text by length, the token count, and the nesting depth (parentheses, `not`, calls, nested $expand) by a counter
 * passed down, so hostile input gets a 400 naming the limit, never deep recursion.
 */
import { ODataErrors } from '../errors.js';
import type {
  ComparisonOp, ExpandItem, ExpandOptions, Expr, Literal, OrderItem, SelectItem,
} from './ast.js';
import { type Token, tokenize } from './lexer.js';

export interface ParseLimits {
  /** Longest option text. */
  maxLength: number;
  /** Most tokens in one option. */
  maxTokens: number;
  /** Deepest nesting of parentheses, `not`, function calls and $expand levels. */
  maxDepth: number;
  /** Deepest $expand nesting. */
  maxExpandDepth: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxLength: 8192, maxTokens: 1000, maxDepth: 32, maxExpandDepth: 3 };

const RELATIONAL = new Set(['gt', 'ge', 'lt', 'le']);
const EQUALITY = new Set(['eq', 'ne']);

class Parser {
  private i = 0;
  constructor(private readonly option: string, private readonly tokens: Token[], private readonly limits: ParseLimits) {}

  private get peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }

  fail(rule: string, t: Token = this.peek): Error {
    const at = t.kind === 'end' ? 'at the end' : `at position ${t.pos + 1} ("${t.text.slice(0, 40)}")`;
    return ODataErrors.badQuery({ target: this.option, rule: `${rule} ${at}` });
  }

  private depthCheck(depth: number): void {
    if (depth > this.limits.maxDepth) {
      throw ODataErrors.tooLong({ target: this.option, limit: `nesting deeper than ${this.limits.maxDepth} levels` });
    }
  }

  expect(kind: Token['kind'], what: string): Token {
    if (this.peek.kind !== kind) throw this.fail(`expected ${what}`);
    return this.next();
  }

  private isWord(word: string): boolean {
    return this.peek.kind === 'ident' && this.peek.text === word;
  }

  /** The next token's kind is `kind` (a method, so TypeScript does not narrow the getter across calls). */
  private at(kind: Token['kind']): boolean {
    return this.peek.kind === kind;
  }

  atEnd(): boolean {
    return this.peek.kind === 'end';
  }

  expr(depth: number): Expr {
    this.depthCheck(depth);
    let left = this.and(depth);
    while (this.isWord('or')) {
      this.next();
      left = { kind: 'or', left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): Expr {
    let left = this.equality(depth);
    while (this.isWord('and')) {
      this.next();
      left = { kind: 'and', left, right: this.equality(depth) };
    }
    return left;
  }

  private equality(depth: number): Expr {
    let left = this.relational(depth);
    while (this.peek.kind === 'ident' && EQUALITY.has(this.peek.text)) {
      const op = this.next().text as ComparisonOp;
      left = { kind: 'compare', op, left, right: this.relational(depth) };
    }
    return left;
  }

  private relational(depth: number): Expr {
    let left = this.unary(depth);
    while (this.peek.kind === 'ident' && RELATIONAL.has(this.peek.text)) {
      const op = this.next().text as ComparisonOp;
      left = { kind: 'compare', op, left, right: this.unary(depth) };
    }
    return left;
  }

  private unary(depth: number): Expr {
    if (this.isWord('not')) {
      this.next();
      this.depthCheck(depth + 1);
      return { kind: 'not', operand: this.unary(depth + 1) };
    }
    return this.primary(depth);
  }

  private primary(depth: number): Expr {
    const t = this.peek;
    switch (t.kind) {
      case '(': {
        this.next();
        const inner = this.expr(depth + 1);
        this.expect(')', 'a closing parenthesis');
        return inner;
      }
      case 'string': this.next(); return lit('string', t.value);
      case 'guid': this.next(); return lit('guid', t.value);
      case 'dateTimeOffset': this.next(); return lit('dateTimeOffset', t.value);
      case 'date': this.next(); return lit('date', t.value);
      case 'enum': this.next(); return { kind: 'literal', type: 'enum', value: t.value, enumType: t.enumType! };
      case 'number': {
        this.next();
        const n = Number(t.text);
        if (!Number.isFinite(n)) throw this.fail('the number is out of range', t);
        return lit(/^-?\d+$/.test(t.text) ? 'int' : 'decimal', n);
      }
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') { this.next(); return lit('boolean', t.text === 'true'); }
        if (t.text === 'null') { this.next(); return lit('null', null); }
        if (this.tokens[this.i + 1]?.kind === '(') return this.call(depth);
        return { kind: 'property', path: this.path() };
      }
      default:
        throw this.fail('expected a property, a literal, a function call or a parenthesised expression');
    }
  }

  private call(depth: number): Expr {
    const name = this.next().text;
    this.next(); // (
    this.depthCheck(depth + 1);
    const args: Expr[] = [];
    if (this.peek.kind !== ')') {
      args.push(this.expr(depth + 1));
      while (this.peek.kind === ',') {
        this.next();
        args.push(this.expr(depth + 1));
      }
    }
    this.expect(')', `a closing parenthesis of ${name}(…)`);
    return { kind: 'call', name, args };
  }

  path(): string[] {
    const segments = [this.expect('ident', 'a property name').text];
    while (this.peek.kind === '/') {
      this.next();
      segments.push(this.expect('ident', 'a property name after /').text);
    }
    for (const s of segments) if (s.includes('.') || s.startsWith('$')) throw this.fail(`"${s}" is not a property name`);
    return segments;
  }

  orderby(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      if (items.length > 0) this.next();
      const path = this.path();
      let direction: 'asc' | 'desc' = 'asc';
      if (this.isWord('asc') || this.isWord('desc')) direction = this.next().text as 'asc' | 'desc';
      items.push({ path, direction });
    } while (this.peek.kind === ',');
    return items;
  }

  select(): SelectItem[] {
    const items: SelectItem[] = [];
    do {
      if (items.length > 0) this.next();
      if (this.peek.kind === '*') { this.next(); items.push('*'); } else items.push(this.path());
    } while (this.peek.kind === ',');
    return items;
  }

  expand(depth: number): ExpandItem[] {
    if (depth > this.limits.maxExpandDepth) {
      throw ODataErrors.tooLong({ target: this.option, limit: `$expand nested deeper than ${this.limits.maxExpandDepth} levels` });
    }
    const items: ExpandItem[] = [];
    do {
      if (items.length > 0) this.next();
      const path = this.path();
      const options: ExpandOptions = {};
      if (this.peek.kind === '(') {
        this.next();
        this.expandOption(options, depth);
        while (this.at(';')) {
          this.next();
          this.expandOption(options, depth);
        }
        this.expect(')', 'a ; or the closing parenthesis of the expand options');
      }
      items.push({ path, options });
    } while (this.peek.kind === ',');
    return items;
  }

  private expandOption(o: ExpandOptions, depth: number): void {
    const name = this.expect('ident', 'a nested query option such as $select').text;
    this.expect('=', `= after ${name}`);
    const seen = (k: keyof ExpandOptions) => {
      if (o[k] !== undefined) throw this.fail(`${name} is given twice`);
    };
    switch (name) {
      case '$filter': seen('filter'); o.filter = this.expr(depth + 1); break;
      case '$select': seen('select'); o.select = this.select(); break;
      case '$orderby': seen('orderby'); o.orderby = this.orderby(); break;
      case '$expand': seen('expand'); o.expand = this.expand(depth + 1); break;
      case '$top': case '$skip': {
        const key = name === '$top' ? 'top' : 'skip';
        seen(key);
        const t = this.expect('number', `a whole number after ${name}=`);
        if (!/^\d{1,9}$/.test(t.text)) throw this.fail(`${name} must be a whole number 0..999999999`, t);
        o[key] = Number(t.text);
        break;
      }
      case '$count': {
        seen('count');
        const t = this.expect('ident', 'true or false after $count=');
        if (t.text !== 'true' && t.text !== 'false') throw this.fail('$count must be true or false', t);
        o.count = t.text === 'true';
        break;
      }
      default:
        throw ODataErrors.unsupported({ target: this.option, what: `The nested query option ${name}`,
          supported: 'Inside $expand use $select, $filter, $orderby, $top, $skip, $count or $expand.' });
    }
  }
}

const lit = (type: Literal['type'], value: Literal['value']): Literal => ({ kind: 'literal', type, value });

function parser(option: string, text: string, limits: ParseLimits): Parser {
  if (text.length > limits.maxLength) {
    throw ODataErrors.tooLong({ target: option, limit: `at most ${limits.maxLength} characters (it has ${text.length})` });
  }
  return new Parser(option, tokenize(option, text, limits.maxTokens), limits);
}

function whole<T>(p: Parser, value: T, what: string): T {
  if (!p.atEnd()) throw p.fail(`unexpected text after the ${what}`);
  return value;
}

export function parseFilter(text: string, limits = DEFAULT_LIMITS, option = '$filter'): Expr {
  const p = parser(option, text, limits);
  if (p.atEnd()) throw p.fail('expected an expression');
  return whole(p, p.expr(0), 'expression');
}

export function parseOrderby(text: string, limits = DEFAULT_LIMITS): OrderItem[] {
  const p = parser('$orderby', text, limits);
  return whole(p, p.orderby(), 'sort order');
}

export function parseSelect(text: string, limits = DEFAULT_LIMITS): SelectItem[] {
  const p = parser('$select', text, limits);
  return whole(p, p.select(), 'property list');
}

export function parseExpand(text: string, limits = DEFAULT_LIMITS): ExpandItem[] {
  const p = parser('$expand', text, limits);
  return whole(p, p.expand(1), 'expand list');
}
