import { QueryErrorCode, QueryException } from './query.exception';

export interface RunQueueOptions {
  /** Runs in flight per key (`QUERY_MAX_CONCURRENT_PER_DATASOURCE`). */
  maxRunning: number;
  /** Runs waiting per key beyond that (`QUERY_QUEUE_MAX`); 0 refuses at once. */
  maxQueued: number;
  /** Longest wait in the queue, ms (`QUERY_QUEUE_WAIT_MS`). */
  maxWaitMs: number;
  /** Called once per refused run (queue full or wait over), for metrics and the audit. */
  onRefused?: (key: string, reason: 'queue_full' | 'wait_timeout') => void;
}

const clientGone = () =>
  new QueryException(
    QueryErrorCode.ClientGone,
    'The client closed the connection while the run waited for its turn',
  );

interface Waiter {
  grant: (release: () => void) => void;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

/**
 * Bounds the runs in flight per datasource (in this process) with a bounded FIFO queue in
 * front: a run over `maxRunning` waits its turn, up to `maxWaitMs`, among at most
 * `maxQueued` others; beyond either it is refused with 429 `too_many_concurrent_runs` and
 * `Retry-After`. A burst is absorbed instead of refused, while memory, connections and wait
 * stay bounded. A slot is handed from a finishing run straight to the oldest waiter, so order
 * is first come, first served. A waiter whose client went away (its signal aborts) leaves.
 */
export class RunQueue {
  private readonly lanes = new Map<string, Lane>();
  private queued = 0;

  constructor(private readonly options: RunQueueOptions) {}

  /**
   * Takes a slot for `key`, waiting in line when all are taken.
   * @param signal aborts the wait (the client left): the run leaves the queue.
   * @returns a release function (idempotent) that hands the slot on.
   * @throws QueryException(TooManyRuns, 429, Retry-After) when the queue is full or the wait
   *   passed `maxWaitMs`; QueryException(ClientGone, 408) when `signal` aborted the wait.
   */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const lane = this.lanes.get(key) ?? { running: 0, waiting: [] };
    this.lanes.set(key, lane);
    if (lane.running < this.options.maxRunning && lane.waiting.length === 0) {
      lane.running += 1;
      return Promise.resolve(this.releaser(key, lane));
    }
    if (lane.waiting.length >= this.options.maxQueued) {
      this.options.onRefused?.(key, 'queue_full');
      return Promise.reject(this.refusal(1, `${this.options.maxQueued} more are waiting`));
    }
    if (signal?.aborted) return Promise.reject(clientGone());
    return new Promise((resolve, reject) => {
      const leave = () => {
        const at = lane.waiting.indexOf(waiter);
        if (at >= 0) {
          lane.waiting.splice(at, 1);
          this.queued -= 1;
        }
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.dropIfIdle(key, lane);
      };
      const onAbort = () => {
        leave();
        reject(clientGone());
      };
      const waiter: Waiter = {
        grant: (release) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        leave();
        this.options.onRefused?.(key, 'wait_timeout');
        reject(this.refusal(1, `none finished within ${this.options.maxWaitMs} ms`));
      }, this.options.maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.waiting.push(waiter);
      this.queued += 1;
    });
  }

  /** Runs in flight for `key`. */
  inFlight(key: string): number {
    return this.lanes.get(key)?.running ?? 0;
  }

  /** Runs waiting for `key`. */
  waitingFor(key: string): number {
    return this.lanes.get(key)?.waiting.length ?? 0;
  }

  /** Runs waiting over all keys (the queue-depth metric). */
  depth(): number {
    return this.queued;
  }

  private releaser(key: string, lane: Lane): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.waiting.shift();
      if (next) {
        // The slot passes straight to the oldest waiter: `running` stays the same.
        this.queued -= 1;
        next.grant(this.releaser(key, lane));
        return;
      }
      lane.running -= 1;
      this.dropIfIdle(key, lane);
    };
  }

  private dropIfIdle(key: string, lane: Lane): void {
    if (lane.running === 0 && lane.waiting.length === 0 && this.lanes.get(key) === lane) {
      this.lanes.delete(key);
    }
  }

  private refusal(retryAfterSeconds: number, why: string): QueryException {
    const error = new QueryException(
      QueryErrorCode.TooManyRuns,
      `This datasource already has ${this.options.maxRunning} queries running and ${why}; try again in a moment`,
    );
    error.retryAfterSeconds = retryAfterSeconds;
    return error;
  }
}
