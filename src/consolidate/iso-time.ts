/**
 * `new Date(ms).toISOString()`, formatting the date only when the second changes: consecutive firehose
 * events fall in the same second, and formatting a Date costs more than the rest of a post's consolidation.
 */
let cachedSecond = NaN;
/** The ISO string of `cachedSecond` without its milliseconds and `Z` ("2026-11-30T16:24:29."). */
let cachedPrefix = '';

export function isoTimeOfMs(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    // Throws RangeError for a time out of the Date range, as toISOString does.
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    cachedSecond = second;
  }
  const milliseconds = ms - second * 1000;
  return `${cachedPrefix}${milliseconds < 10 ? '00' : milliseconds < 100 ? '0' : ''}${milliseconds}Z`;
}
