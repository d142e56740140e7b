import type { DataKey } from './data-key';

interface Entry {
  key: DataKey;
  /** The wrapped form the key was read from: a changed row (reset elsewhere) misses. */
  wrappedKey: string;
  expiresAt: number;
}

/**
 * Unwrapped data keys kept in memory for a short, bounded time, so decrypting many secrets of
 * one datasource costs one unwrap. Bounded in age (`ttlMs`) and count (`maxEntries`, least
 * recently used evicted first), so a dump of process memory holds few keys.
 */
export class DataKeyCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * @param ttlMs how long an unwrapped key stays, in milliseconds (default 60 s).
   * @param maxEntries most keys kept at once (default 1,000).
   * @param now clock in milliseconds; injectable for tests.
   */
  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  private static id(workspaceId: string, datasourceId: string): string {
    return `${workspaceId}/${datasourceId}`;
  }

  /** The cached key and the wrapped form it came from, or undefined when absent or expired. */
  get(workspaceId: string, datasourceId: string): { key: DataKey; wrappedKey: string } | undefined {
    const id = DataKeyCache.id(workspaceId, datasourceId);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) return undefined;
    // Re-insert: Map order is insertion order, so the front is the least recently used.
    this.entries.set(id, entry);
    return entry;
  }

  set(workspaceId: string, datasourceId: string, wrappedKey: string, key: DataKey): void {
    const id = DataKeyCache.id(workspaceId, datasourceId);
    this.entries.delete(id);
    this.entries.set(id, { key, wrappedKey, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(workspaceId: string, datasourceId: string): void {
    this.entries.delete(DataKeyCache.id(workspaceId, datasourceId));
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  toJSON(): string {
    return `[DataKeyCache of ${this.entries.size}]`;
  }
}
