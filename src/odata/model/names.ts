/**
 * OData names: the CSDL SimpleIdentifier rule (OASIS CSDL XML 4.01 "Simple Identifier", edm.xsd
 * TSimpleIdentifier: a letter or underscore, then letters, digits, combining marks, connectors; at most 128
 * characters), the reason a name breaks it (which character, how long), and a valid alias to offer instead.
 */
import { createHash } from 'node:crypto';

export const MAX_IDENTIFIER = 128;
/** Insights Hub's own limit for `AGGR_{AspectType}_{AspectName}_{AssetType}` names ("Insights Hub IIoT for Makers" §9.2). */
export const INSIGHTS_HUB_AGGR_LIMIT = 200;

const FIRST = /[\p{L}\p{Nl}_]/u;
const REST = /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]/u;

/** Why `name` is not a CSDL SimpleIdentifier, or undefined when it is one. */
export function identifierRule(name: string): string | undefined {
  const chars = [...name];
  if (chars.length === 0) return 'is empty; a name needs at least one character';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const ok = i === 0 ? FIRST.test(c) : REST.test(c);
    if (!ok) {
      const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      return i === 0
        ? `starts with "${c}" (${code}); an OData identifier starts with a letter or an underscore`
        : `contains "${c}" (${code}) at position ${i + 1}; an OData identifier has only letters, digits and underscores`;
    }
  }
  if (chars.length > MAX_IDENTIFIER) {
    const aggr = name.startsWith('AGGR_')
      ? ` (Insights Hub's own limit for AGGR_{AspectType}_{AspectName}_{AssetType} names is ${INSIGHTS_HUB_AGGR_LIMIT}, but a name above ${MAX_IDENTIFIER} makes $metadata invalid CSDL)`
      : '';
    return `has ${chars.length} characters; an OData (CSDL) identifier may have at most ${MAX_IDENTIFIER}${aggr}`;
  }
  return undefined;
}

/** A valid identifier close to `name`: invalid characters become `_`, a long name is cut and tagged with a hash. */
export function suggestAlias(name: string, taken: ReadonlySet<string> = new Set()): string {
  let chars = [...name].map((c, i) => ((i === 0 ? FIRST : REST).test(c) ? c : '_'));
  if (chars.length === 0 || !FIRST.test(chars[0]!)) chars = ['_', ...chars];
  let out = chars.join('');
  const hash = createHash('sha256').update(name).digest('hex');
  if ([...out].length > MAX_IDENTIFIER) out = `${[...out].slice(0, MAX_IDENTIFIER - 7).join('')}_${hash.slice(0, 6)}`;
  for (let i = 0; taken.has(out); i++) out = `${[...out].slice(0, MAX_IDENTIFIER - 7).join('')}_${hash.slice(6 + i, 12 + i)}`;
  return out;
}
