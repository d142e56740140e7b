import { QueryErrorCode, QueryException } from './query.exception';

/**
 * Bounds the runs in flight per datasource (in this process). A run beyond the bound is refused
 * at once with 429 rather than queued, so a burst cannot pile up connections, memory and
 * waiting requests behind a slow database.
 */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();

  constructor(private readonly maxPerKey: number) {}

  /**
   * Takes a slot for `key`.
   * @returns a release function (idempotent).
   * @throws QueryException(TooManyRuns, 429) when `maxPerKey` runs are in flight.
   */
  acquire(key: string): () => void {
    const current = this.running.get(key) ?? 0;
    if (current >= this.maxPerKey) {
      throw new QueryException(
        QueryErrorCode.TooManyRuns,
        `This datasource already has ${this.maxPerKey} queries running; try again in a moment`,
      );
    }
    this.running.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(key) ?? 1) - 1;
      if (left <= 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }

  /** Runs in flight for `key` (for tests and health). */
  inFlight(key: string): number {
    return this.running.get(key) ?? 0;
  }
}
