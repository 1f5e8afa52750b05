/**
 * Syntax trees of the OData system query options this service parses ($filter, $orderby, $select, $expand), per
 * the OASIS OData v4 URL Conventions ("System Query Options") and its ABNF. The parser accepts the common
 * expression subset (comparison, logical operators, parentheses, function calls, primitive literals); which
 * parts an entity set actually serves is decided later, by the planner, with a 400 naming what is supported.
 */

export type LiteralType = 'string' | 'int' | 'decimal' | 'boolean' | 'null' | 'dateTimeOffset' | 'date' | 'guid' | 'enum';

export interface Literal {
  kind: 'literal';
  type: LiteralType;
  /** string/guid/enum member: the text; int/decimal: the number; boolean; null; dates: the literal text. */
  value: string | number | boolean | null;
  /** enum literals: the qualified type name before the quoted member. */
  enumType?: string;
}

export interface PropertyPath {
  kind: 'property';
  /** Segments of a member path, e.g. ['Parent', 'name']. */
  path: string[];
}

export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export interface Comparison {
  kind: 'compare';
  op: ComparisonOp;
  left: Expr;
  right: Expr;
}

export interface Logical {
  kind: 'and' | 'or';
  left: Expr;
  right: Expr;
}

export interface Not {
  kind: 'not';
  operand: Expr;
}

export interface Call {
  kind: 'call';
  name: string;
  args: Expr[];
}

export type Expr = Literal | PropertyPath | Comparison | Logical | Not | Call;

export interface OrderItem {
  path: string[];
  direction: 'asc' | 'desc';
}

export interface ExpandItem {
  path: string[];
  options: ExpandOptions;
}

/** Options nested in an $expand item, `Nav($select=a;$filter=…;$expand=…)`. */
export interface ExpandOptions {
  filter?: Expr;
  select?: SelectItem[];
  orderby?: OrderItem[];
  top?: number;
  skip?: number;
  count?: boolean;
  expand?: ExpandItem[];
}

/** `*` or a property path. */
export type SelectItem = '*' | string[];

export const COMPARISON_OPS: readonly ComparisonOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
