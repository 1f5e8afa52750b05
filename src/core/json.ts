/**
 * Nesting of parsed JSON values. JSON.parse itself does not recurse, but every walk over its result does; a
 * request can nest thousands of levels in a few kilobytes. This check is iterative, so it is the one safe first
 * look at a value before any recursive code (merge-patch, the filter parser) sees it.
 */

/**
 * The path of the first object or array nested deeper than `max` levels (`{}` is one level, `{"a":[]}` two), or
 * null when the value stays within. Paths read like `location.a[0]`; the root is ''.
 */
export function nestingBeyond(value: unknown, max: number): string | null {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 1, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return path;
    const array = Array.isArray(v);
    for (const [k, child] of Object.entries(v)) {
      if (child === null || typeof child !== 'object') continue;
      stack.push({ v: child, depth: depth + 1, path: array ? `${path}[${k}]` : path ? `${path}.${k}` : k });
    }
  }
  return null;
}
