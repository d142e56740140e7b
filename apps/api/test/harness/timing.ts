import { expect } from 'vitest';

/**
 * Time-dependent assertions with their margins in one place (test/README.md, "Timing
 * margins"). With `TEST_TIMING_LOG=1` each one prints its measured figure and its limit, which
 * is how the README's table is measured:
 * `TEST_TIMING_LOG=1 npx vitest run <file> | grep '\[timing\]'` (in apps/api).
 */
export function noteTiming(label: string, ms: number, limitMs: number): void {
  if (process.env.TEST_TIMING_LOG === '1') {
    console.log(`[timing] ${label}: ${ms} ms (limit ${limitMs} ms)`);
  }
}

/** Asserts that `elapsedMs` (a measured duration) is below `limitMs`, and notes it. */
export function expectWithin(label: string, elapsedMs: number, limitMs: number): void {
  noteTiming(label, elapsedMs, limitMs);
  expect(elapsedMs, `${label}: took ${elapsedMs} ms, limit ${limitMs} ms`).toBeLessThan(limitMs);
}

/**
 * Polls `probe` every `intervalMs` until its value equals `expected`, failing once `timeoutMs`
 * has passed (vitest's `expect.poll`); notes how long it took. For a state the code reaches on
 * its own (a cancel landing at the database, a timer-driven flush, an idle pool closing):
 * waiting on it, not a fixed sleep, keeps the test from racing the code.
 */
export async function pollUntil<T>(
  label: string,
  probe: () => T | Promise<T>,
  expected: T,
  { timeoutMs, intervalMs = 50 }: { timeoutMs: number; intervalMs?: number },
): Promise<number> {
  const started = Date.now();
  await expect
    .poll(probe, { timeout: timeoutMs, interval: intervalMs, message: label })
    .toEqual(expected);
  const took = Date.now() - started;
  noteTiming(label, took, timeoutMs);
  return took;
}
