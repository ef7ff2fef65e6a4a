/**
 * Milliseconds on a monotonic clock, for durations and deadlines. `performance.now()` reads the same clock, but
 * the first use of the `performance` global loads Node's perf_hooks (0.6 to 0.9 ms, inside a cold start's first
 * invocation); `process.hrtime` needs no module. An object, so that tests can stop or move the clock.
 */
export const clock = {
  nowMs: (): number => Number(process.hrtime.bigint()) / 1e6,
};
