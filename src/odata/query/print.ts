/**
 * Prints parsed query options back to their URL text (before percent-encoding). Parentheses are added exactly
 * where the tree needs them under the OData precedence rules, so print → parse gives back the same tree; next
 * links are built from these prints, never from the client's raw text.
 */
import type { ExpandItem, ExpandOptions, Expr, Literal, OrderItem, SelectItem } from './ast.js';

const PRECEDENCE = { or: 1, and: 2, eq: 3, ne: 3, gt: 4, ge: 4, lt: 4, le: 4 } as const;
const NOT = 5;
const PRIMARY = 6;

function precedenceOf(e: Expr): number {
  switch (e.kind) {
    case 'or': case 'and': return PRECEDENCE[e.kind];
    case 'compare': return PRECEDENCE[e.op];
    case 'not': return NOT;
    default: return PRIMARY;
  }
}

export function printLiteral(l: Literal): string {
  switch (l.type) {
    case 'string': return `'${String(l.value).replace(/'/g, "''")}'`;
    case 'int': return String(l.value);
    case 'decimal': {
      const s = String(l.value);
      return /[.eE]/.test(s) ? s : `${s}.0`;
    }
    case 'boolean': return l.value ? 'true' : 'false';
    case 'null': return 'null';
    case 'enum': return `${l.enumType}'${String(l.value)}'`;
    default: return String(l.value);
  }
}

/** `min`: the lowest precedence the position takes without parentheses. */
function print(e: Expr, min: number): string {
  const p = precedenceOf(e);
  let text: string;
  switch (e.kind) {
    case 'literal': text = printLiteral(e); break;
    case 'property': text = e.path.join('/'); break;
    case 'call': text = `${e.name}(${e.args.map((a) => print(a, 0)).join(',')})`; break;
    case 'not': text = `not ${print(e.operand, NOT)}`; break;
    case 'and': case 'or': text = `${print(e.left, p)} ${e.kind} ${print(e.right, p + 1)}`; break;
    case 'compare': text = `${print(e.left, p)} ${e.op} ${print(e.right, p + 1)}`; break;
  }
  return p < min ? `(${text})` : text;
}

export const printFilter = (e: Expr): string => print(e, 0);

export const printOrderby = (items: OrderItem[]): string =>
  items.map((o) => `${o.path.join('/')}${o.direction === 'desc' ? ' desc' : ''}`).join(',');

export const printSelect = (items: SelectItem[]): string =>
  items.map((s) => (s === '*' ? '*' : s.join('/'))).join(',');

function printOptions(o: ExpandOptions): string {
  const parts: string[] = [];
  if (o.filter !== undefined) parts.push(`$filter=${printFilter(o.filter)}`);
  if (o.select !== undefined) parts.push(`$select=${printSelect(o.select)}`);
  if (o.orderby !== undefined) parts.push(`$orderby=${printOrderby(o.orderby)}`);
  if (o.top !== undefined) parts.push(`$top=${o.top}`);
  if (o.skip !== undefined) parts.push(`$skip=${o.skip}`);
  if (o.count !== undefined) parts.push(`$count=${o.count}`);
  if (o.expand !== undefined) parts.push(`$expand=${printExpand(o.expand)}`);
  return parts.join(';');
}

export function printExpand(items: ExpandItem[]): string {
  return items.map((i) => {
    const opts = printOptions(i.options);
    return opts ? `${i.path.join('/')}(${opts})` : i.path.join('/');
  }).join(',');
}
