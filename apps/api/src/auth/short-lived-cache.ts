/**
 * An in-process map whose entries live at most `ttlMs`, for the per-request lookups of the
 * request pipeline (sessions, memberships). It keeps no secret: callers store ids, roles and
 * timestamps only.
 *
 * Revocation stays immediate on this replica: every write that can revoke access calls
 * `delete` / `deleteWhere` / `clear` after its database write. A read that started before such
 * an invalidation must not store what it read (it may predate the write), so a reader takes a
 * `ticket()` before its database read and `set` ignores the value when any invalidation
 * happened since. Other replicas see a change after at most `ttlMs` (auth README, operations
 * guide).
 */
export class ShortLivedCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private generation = 0;

  /**
   * @param ttlMs lifetime of an entry in milliseconds.
   * @param maxEntries most entries kept; beyond it the oldest are dropped (insertion order).
   * @param now clock in milliseconds; injectable for tests.
   */
  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The live value of `key`, or undefined when absent or expired. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Taken before the database read whose result may be stored with {@link set}. */
  ticket(): number {
    return this.generation;
  }

  /** Stores `value` unless an invalidation happened since `ticket` was taken. */
  set(key: string, value: V, ticket: number): void {
    if (ticket !== this.generation || this.ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets one key (and voids reads in flight). */
  delete(key: string): void {
    this.generation += 1;
    this.entries.delete(key);
  }

  /** Forgets every entry whose value matches (and voids reads in flight). */
  deleteWhere(match: (value: V, key: string) => boolean): void {
    this.generation += 1;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }

  /** Forgets everything (and voids reads in flight). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Number of entries held, expired ones included (tests). */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * Lifetime of cached sessions and memberships (ms): the longest another replica keeps
 * honouring a session revoked, a role changed or a member removed elsewhere. On the replica
 * that made the change it takes effect at once.
 */
export const AUTH_CACHE_TTL_MS = 1_000;

/**
 * Lifetime of the query proxy's cached run lookups (ms): a published query and a datasource
 * row (no secrets). The longest another replica keeps running the previous published version
 * or datasource settings after a publish, an app or datasource deletion or an update made
 * elsewhere; on the replica that made the change it takes effect at once.
 */
export const RUN_LOOKUP_CACHE_TTL_MS = 1_000;
