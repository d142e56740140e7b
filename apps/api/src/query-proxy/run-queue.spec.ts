import { describe, expect, it, vi } from 'vitest';
import { QueryErrorCode, QueryException } from './query.exception';
import { RunQueue } from './run-queue';

const settle = () => new Promise((r) => setImmediate(r));

describe('RunQueue', () => {
  it('admits up to the bound, then hands slots to waiters first come, first served', async () => {
    const queue = new RunQueue({ maxRunning: 2, maxQueued: 10, maxWaitMs: 60_000 });
    const a = await queue.acquire('ds');
    const b = await queue.acquire('ds');
    expect(queue.inFlight('ds')).toBe(2);
    const order: number[] = [];
    const waiters = [1, 2, 3, 4].map((n) =>
      queue.acquire('ds').then((release) => {
        order.push(n);
        return release;
      }),
    );
    await settle();
    expect(order).toEqual([]);
    expect(queue.waitingFor('ds')).toBe(4);
    expect(queue.depth()).toBe(4);
    a();
    a(); // idempotent: hands on one slot only
    await settle();
    expect(order).toEqual([1]);
    b();
    await settle();
    expect(order).toEqual([1, 2]);
    const [r1, r2] = await Promise.all(waiters.slice(0, 2));
    r2();
    r1();
    await Promise.all(waiters.slice(2)).then((rs) => rs.forEach((r) => r()));
    expect(order).toEqual([1, 2, 3, 4]);
    expect(queue.inFlight('ds')).toBe(0);
    expect(queue.depth()).toBe(0);
    // Other keys are independent.
    const other = await queue.acquire('other');
    other();
  });

  it('refuses past the queue bound at once with 429 and Retry-After', async () => {
    const refused = vi.fn();
    const queue = new RunQueue({
      maxRunning: 1,
      maxQueued: 2,
      maxWaitMs: 60_000,
      onRefused: refused,
    });
    const hold = await queue.acquire('ds');
    const queued = [queue.acquire('ds'), queue.acquire('ds')];
    const error = await queue.acquire('ds').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryException);
    expect((error as QueryException).code).toBe(QueryErrorCode.TooManyRuns);
    expect((error as QueryException).status).toBe(429);
    expect((error as QueryException).retryAfterSeconds).toBe(1);
    expect(refused).toHaveBeenCalledWith('ds', 'queue_full');
    hold();
    (await queued[0])();
    (await queued[1])();
  });

  it('refuses a run that waited longer than maxWaitMs, and the queue moves on', async () => {
    vi.useFakeTimers();
    try {
      const refused = vi.fn();
      const queue = new RunQueue({
        maxRunning: 1,
        maxQueued: 5,
        maxWaitMs: 1_000,
        onRefused: refused,
      });
      const hold = await queue.acquire('ds');
      const first = queue.acquire('ds').catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(999);
      expect(queue.waitingFor('ds')).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      const error = (await first) as QueryException;
      expect(error.status).toBe(429);
      expect(error.message).toMatch(/within 1000 ms/);
      expect(refused).toHaveBeenCalledWith('ds', 'wait_timeout');
      expect(queue.waitingFor('ds')).toBe(0);
      const next = queue.acquire('ds');
      hold();
      (await next)();
      expect(queue.inFlight('ds')).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a waiter whose client left leaves the queue and never takes a slot', async () => {
    const queue = new RunQueue({ maxRunning: 1, maxQueued: 5, maxWaitMs: 60_000 });
    const hold = await queue.acquire('ds');
    const gone = new AbortController();
    const leaving = queue.acquire('ds', gone.signal).catch((e: unknown) => e);
    const staying = queue.acquire('ds');
    expect(queue.waitingFor('ds')).toBe(2);
    gone.abort();
    const error = (await leaving) as QueryException;
    expect(error.code).toBe(QueryErrorCode.ClientGone);
    expect(queue.waitingFor('ds')).toBe(1);
    hold();
    const release = await staying;
    expect(queue.inFlight('ds')).toBe(1);
    release();
    expect(queue.inFlight('ds')).toBe(0);
    // Already aborted: refused without queueing.
    const h2 = await queue.acquire('ds');
    const late = await queue.acquire('ds', gone.signal).catch((e: unknown) => e);
    expect((late as QueryException).code).toBe(QueryErrorCode.ClientGone);
    expect(queue.depth()).toBe(0);
    h2();
  });
});
