/**
 * Human renderings of NumericDate claims (RFC 7519 §2: seconds since the epoch): an ISO date and
 * a relative phrase such as "expired 2 h ago". Shared by `decode`, `verify` and the checklist.
 */

/** The NumericDate claims shown as times. */
export const TIME_CLAIMS = ['exp', 'nbf', 'iat', 'auth_time', 'updated_at'] as const;

export function isTimeClaim(name: string): boolean {
  return (TIME_CLAIMS as readonly string[]).includes(name);
}

/** ISO 8601 in UTC without milliseconds, or undefined for values no Date can hold. */
export function isoSeconds(seconds: number): string | undefined {
  if (!Number.isFinite(seconds) || Math.abs(seconds) > 8.64e12) return undefined;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** "2 h", "5 min", "3 d" for a non-negative number of seconds. */
export function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 90 * 60) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  if (s < 365 * 86400) return `${Math.floor(s / 86400)} d`;
  const years = s / (365.25 * 86400);
  return `${years < 10 ? Math.floor(years * 10) / 10 : Math.floor(years)} y`;
}

/** "in 5 min" or "2 h ago" relative to `now` (seconds). */
export function relative(seconds: number, now: number): string {
  const d = seconds - now;
  if (d === 0) return 'now';
  return d > 0 ? `in ${duration(d)}` : `${duration(d)} ago`;
}

/** A phrase for one time claim, e.g. `expired 2 h ago`, `issued 3 d ago`, `not valid before in 5 min`. */
export function describeTime(claim: string, seconds: number, now: number): string {
  const rel = relative(seconds, now);
  switch (claim) {
    case 'exp':
      return seconds <= now ? `expired ${rel}` : `expires ${rel}`;
    case 'nbf':
      return seconds <= now ? `valid since ${rel}` : `not valid until ${rel}`;
    case 'iat':
      return `issued ${rel}`;
    case 'auth_time':
      return `authenticated ${rel}`;
    case 'updated_at':
      return `profile updated ${rel}`;
    default:
      return rel;
  }
}

/** "2021-08-26T10:12:24Z (expired 2 h ago)", or the raw value when it is not a usable number. */
export function formatTimeClaim(claim: string, value: unknown, now: number): string | undefined {
  if (typeof value !== 'number') return undefined;
  const iso = isoSeconds(value);
  if (iso === undefined) return undefined;
  return `${iso} (${describeTime(claim, value, now)})`;
}

/**
 * Parses `--at`: whole Unix seconds (`1629968400`) or an ISO 8601 date (`2021-08-26T09:00:00Z`).
 * Returns seconds, or undefined when the text is neither.
 */
export function parseInstant(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d{1,12}$/.test(t)) return Number(t);
  // Only full dates: Date.parse accepts odd forms ("1", "May 5") that would surprise here.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(t)) return undefined;
  // A date or time without a zone is UTC, never the machine's local zone.
  const withTime = t.length === 10 ? `${t}T00:00:00` : t.replace(' ', 'T');
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(withTime) ? withTime : `${withTime}Z`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Rewrites the NumericDates in a message (RFC 7519 §2; whole seconds from 1973 to 5138, i.e. 9 to
 * 11 digits) as `2021-08-26T09:00:00Z (1629968400)`, so people read dates, not epoch seconds.
 */
export function datesInText(text: string): string {
  return text.replace(/(?<![\d.\w-])(\d{9,11})(?![\d.\w])/g, (n) => {
    const iso = isoSeconds(Number(n));
    return iso !== undefined ? `${iso} (${n})` : n;
  });
}
