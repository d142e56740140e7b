import { DatasourceErrorCode, DatasourceException } from '../datasource.exception';

/**
 * Keyed pools of one connector type: one live pool per datasource id, tagged with the
 * datasource version. Asking for a newer version closes the older pool (its config or
 * secrets changed); unused pools are closed after `idleMs`. Creation is de-duplicated, so
 * concurrent first runs share one pool.
 */
export class PoolManager<T> {
  private readonly pools = new Map<
    string,
    { version: number; pool: Promise<T>; lastUsed: number }
  >();
  private readonly timer: NodeJS.Timeout;

  /**
   * @param idleMs milliseconds without a `get` after which a pool is closed.
   * @param destroy closes one pool; errors are swallowed (a closing pool has no user).
   */
  constructor(
    private readonly idleMs: number,
    private readonly destroy: (pool: T) => Promise<void>,
  ) {
    // Sweep at a fraction of the idle time; unref so a pool never keeps the process alive.
    this.timer = setInterval(() => void this.sweep(Date.now()), Math.min(idleMs / 4, 60_000));
    this.timer.unref();
  }

  /** The pool of `id` at `version`, created with `create` when missing or older. */
  async get(id: string, version: number, create: () => Promise<T>): Promise<T> {
    const existing = this.pools.get(id);
    if (existing && existing.version === version) {
      existing.lastUsed = Date.now();
      return existing.pool;
    }
    if (existing && existing.version > version) {
      // A stale caller (resolved before an update): never revive old credentials.
      throw new DatasourceException(
        DatasourceErrorCode.ConcurrentUpdate,
        'The datasource was changed while this run started; run it again',
      );
    }
    if (existing) await this.close(id);
    const pool = create();
    this.pools.set(id, { version, pool, lastUsed: Date.now() });
    pool.catch(() => {
      // A failed creation leaves nothing behind: the next call retries.
      if (this.pools.get(id)?.pool === pool) this.pools.delete(id);
    });
    return pool;
  }

  /** Number of open pools (for tests and health). */
  get size(): number {
    return this.pools.size;
  }

  /** The version of the open pool of `id`, or undefined. */
  versionOf(id: string): number | undefined {
    return this.pools.get(id)?.version;
  }

  async close(id: string): Promise<void> {
    const entry = this.pools.get(id);
    if (!entry) return;
    this.pools.delete(id);
    await entry.pool.then(this.destroy).catch(() => undefined);
  }

  /** Closes pools unused for `idleMs` as of `now` (milliseconds since the epoch). */
  async sweep(now: number): Promise<void> {
    const idle = [...this.pools].filter(([, e]) => now - e.lastUsed >= this.idleMs);
    await Promise.all(idle.map(([id]) => this.close(id)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.pools.keys()].map((id) => this.close(id)));
  }
}
