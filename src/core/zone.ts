/**
 * Time zone ids: the one check of what an asset's `timezone` may be (Asset Management API v3, "Assets": a Java
 * zone id; zones whose UTC offset is not a multiple of 30 minutes are not supported). The tz database is the
 * runtime's, read through Intl.
 */

const known = new Map<string, boolean>();

/** True when the runtime's tz database knows the id. */
export function isKnownZone(id: string): boolean {
  let ok = known.get(id);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: id });
      ok = true;
    } catch {
      ok = false;
    }
    if (known.size < 10_000) known.set(id, ok);
  }
  return ok;
}

const rules = new Map<string, string | null>();

/** The rule a zone id breaks as an asset time zone, or null. */
export function timezoneRule(zone: string): string | null {
  const cached = rules.get(zone);
  if (cached !== undefined) return cached;
  let rule: string | null = null;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) rule = 'must be a Java time zone id like Europe/Berlin or Etc/GMT+2';
  else if (!isKnownZone(zone)) rule = 'is not a known time zone id (use a Java zone id like Europe/Berlin or Etc/GMT+2)';
  else {
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    const year = new Date().getUTCFullYear();
    for (const month of [0, 3, 6, 9]) {
      const part = fmt.formatToParts(Date.UTC(year, month, 15)).find((p) => p.type === 'timeZoneName')?.value ?? '';
      const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
      if (m && Number(m[3]) % 30 !== 0) {
        rule = `has a UTC offset of ${m[1]}${m[2]}:${m[3]}; offsets that are not a multiple of 30 minutes are not supported`;
        break;
      }
    }
  }
  if (rules.size < 10_000) rules.set(zone, rule);
  return rule;
}

/**
 * The instant at which the wall clock of `zone` shows `wall` (a local date-time written as if it were UTC epoch ms),
 * by two offset look-ups: in a daylight-saving gap the result lies after the jump; in an overlap it is the later one.
 */
export function instantOfWallClock(zone: string, wall: number): number {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric',
    day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const offset = (t: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const second = t - (((t % 1000) + 1000) % 1000);
    return Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!) - second;
  };
  return wall - offset(wall - offset(wall));
}
