/**
 * Parses kept by their text: the OData parsers are functions of the text (and of a service's limits) only, so a
 * client repeating a request (paging through it, polling a dashboard) has it parsed once. A kept result is
 * deep-frozen (nothing downstream writes to it); a text that fails to parse is not kept, so its error is thrown
 * each time; a cache that is full is emptied, and texts longer than `maxLength` are parsed but not kept.
 */

export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/** parse(text), kept in `cache` by the text (at most `max` texts of at most `maxLength` characters). */
export function kept<T>(cache: Map<string, T>, text: string, parse: (text: string) => T, max: number, maxLength = Infinity): T {
  let v = cache.get(text);
  if (v === undefined) {
    v = parse(text);
    if (text.length <= maxLength) {
      if (cache.size >= max) cache.clear();
      cache.set(text, deepFreeze(v));
    }
  }
  return v;
}
