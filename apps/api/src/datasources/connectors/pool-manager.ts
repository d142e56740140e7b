import { DatasourceErrorCode, DatasourceException } from '../datasource.exception';

interface PoolEntry<T> {
  version: number;
  pool: Promise<T>;
  lastUsed: number;
}

/**
 * Every open pool of every manager, by the pool object itself, so a caller that already holds
 * a pool can reuse it without the datasource's secrets ({@link reuseLivePool}). Weak: a closed
 * pool is removed at once and a dropped manager leaks nothing.
 */
const livePools = new WeakMap<object, PoolEntry<unknown>>();

/**
 * True when `pool` is still the open pool of its datasource at `version` (not closed by an
 * update, a delete or the idle sweep); marks it used, like `PoolManager.get`. Lets the query
 * proxy skip reading and decrypting secrets for a pool that already holds its connection
 * config. Each new connection of the pool still passes the egress check of its connector.
 */
export function reuseLivePool(pool: object, version: number): boolean {
  const entry = livePools.get(pool);
  if (!entry || entry.version !== version) return false;
  entry.lastUsed = Date.now();
  return true;
}

/**
 * Keyed pools of one connector type: one live pool per datasource id, tagged with the
 * datasource version. Asking for a newer version closes the older pool (its config or
 * secrets changed); unused pools are closed after `idleMs`. Creation is de-duplicated, so
 * concurrent first runs share one pool.
 */
export class PoolManager<T> {
  private readonly pools = new Map<string, PoolEntry<T>>();
  /** Resolved pools by id, so `close` can retire them from `livePools` synchronously. */
  private readonly resolved = new Map<string, T>();
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
    const entry: PoolEntry<T> = { version, pool, lastUsed: Date.now() };
    this.pools.set(id, entry);
    pool.then(
      (value) => {
        if (this.pools.get(id) !== entry || !isObject(value)) return;
        this.resolved.set(id, value);
        livePools.set(value, entry as PoolEntry<unknown>);
      },
      () => {
        // A failed creation leaves nothing behind: the next call retries.
        if (this.pools.get(id) === entry) this.pools.delete(id);
      },
    );
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
    const value = this.resolved.get(id);
    this.resolved.delete(id);
    if (value !== undefined && isObject(value)) livePools.delete(value);
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

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
