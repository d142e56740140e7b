import { describe, expect, it, vi } from 'vitest';
import { PoolManager, reuseLivePool } from './pool-manager';

describe('PoolManager', () => {
  const make = () => {
    const closed: string[] = [];
    const pools = new PoolManager<string>(1000, (p) => {
      closed.push(p);
      return Promise.resolve();
    });
    return { pools, closed };
  };

  it('shares one pool per id + version, and closes the old one when the version moves on', async () => {
    const { pools, closed } = make();
    let created = 0;
    const create = (v: number) => () => Promise.resolve(`ds1@v${v}#${++created}`);
    const [a, b] = await Promise.all([
      pools.get('ds1', 1, create(1)),
      pools.get('ds1', 1, create(1)),
    ]);
    expect(a).toBe(b);
    expect(created).toBe(1);
    expect(await pools.get('ds1', 2, create(2))).toBe('ds1@v2#2');
    expect(closed).toEqual(['ds1@v1#1']);
    // a caller holding an older version never revives it
    await expect(pools.get('ds1', 1, create(1))).rejects.toMatchObject({ status: 409 });
    await pools.closeAll();
  });

  it('closes pools idle for longer than the idle time, and only those', async () => {
    const { pools, closed } = make();
    await pools.get('old', 1, () => Promise.resolve('old'));
    const now = Date.now();
    await pools.get('fresh', 1, () => Promise.resolve('fresh'));
    await pools.sweep(now + 500);
    expect(closed).toEqual([]);
    await pools.get('fresh', 1, () => Promise.resolve('unused'));
    await pools.sweep(now + 1000);
    expect(closed).toContain('old');
    expect(pools.size).toBeLessThanOrEqual(1);
    await pools.closeAll();
  });

  it('a failed creation leaves nothing behind', async () => {
    const { pools } = make();
    await expect(pools.get('x', 1, () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await new Promise((r) => setImmediate(r));
    expect(pools.size).toBe(0);
  });

  it('reuseLivePool: true only for the open pool at its version; false once closed or replaced', async () => {
    const closed: object[] = [];
    const pools = new PoolManager<{ name: string }>(60_000, (p) => {
      closed.push(p);
      return Promise.resolve();
    });
    const v1 = await pools.get('ds', 1, () => Promise.resolve({ name: 'v1' }));
    expect(reuseLivePool(v1, 1)).toBe(true);
    expect(reuseLivePool(v1, 2)).toBe(false);
    expect(reuseLivePool({ name: 'v1' }, 1)).toBe(false); // not a managed pool
    const v2 = await pools.get('ds', 2, () => Promise.resolve({ name: 'v2' }));
    expect(closed).toEqual([v1]);
    expect(reuseLivePool(v1, 1)).toBe(false);
    expect(reuseLivePool(v2, 2)).toBe(true);
    await pools.close('ds');
    expect(reuseLivePool(v2, 2)).toBe(false);
    await pools.closeAll();
  });

  it('reuseLivePool keeps a pool from the idle sweep, like get', async () => {
    // A fake Date steps the clock exactly (a real 20 ms pause proved nothing when the get
    // itself took longer on a busy machine); only Date is faked, the sweep timer stays real.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const pools = new PoolManager<{ name: string }>(1_000, () => Promise.resolve());
      const started = Date.now();
      const pool = await pools.get('busy', 1, () => Promise.resolve({ name: 'busy' }));
      const idle = await pools.get('idle', 1, () => Promise.resolve({ name: 'idle' }));
      vi.setSystemTime(started + 500);
      expect(reuseLivePool(pool, 1)).toBe(true);
      await pools.sweep(started + 1_000);
      // Unused for the idle time: closed; used 500 ms ago through reuseLivePool: kept.
      expect(reuseLivePool(idle, 1)).toBe(false);
      expect(pools.size).toBe(1);
      await pools.sweep(started + 1_499);
      expect(pools.size).toBe(1);
      await pools.sweep(started + 1_500);
      expect(pools.size).toBe(0);
      expect(reuseLivePool(pool, 1)).toBe(false);
      await pools.closeAll();
    } finally {
      vi.useRealTimers();
    }
  });
});
