import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DataSource } from 'typeorm';
import { nativeStatement, returnedRows } from './native-sql';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Expired counters are deleted at most this often (per process). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * `ThrottlerStorage` on the `rate_limit_counters` table of the metadata database, so every API
 * replica on one PostgreSQL shares the counters (the default storage is per process).
 *
 * Each `increment` is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement (PostgreSQL
 * 9.5+, SQLite 3.35+): atomic under concurrency without a transaction or a lock. Semantics
 * follow @nestjs/throttler's in-memory storage: a fixed window of `ttl` ms; the hit that
 * exceeds `limit` blocks the key for `blockDuration` ms; hits while blocked are not counted; the
 * first hit after the block starts a fresh window.
 */
@Injectable()
export class DatabaseThrottlerStorage implements ThrottlerStorage {
  private lastSweep = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * @param key the throttler's key (a SHA-256 hex of route, throttler name and tracker)
   * @param ttl window length in milliseconds
   * @param limit hits allowed per window
   * @param blockDuration block length in milliseconds once `limit` is exceeded
   * @returns hits in the window, seconds until the window and the block end, blocked or not
   */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    await this.sweep(now);
    const { p, params } = nativeStatement(this.dataSource);
    const t = 'rate_limit_counters';
    // Every expression reads the row as it was before this statement (SQL UPDATE semantics).
    // Placeholders are built per use: SQLite's `?` is positional, so none is reused.
    const blocked = () => `(${t}.blocked_until IS NOT NULL AND ${t}.blocked_until > ${p(now)})`;
    const fresh = () => `(${t}.window_ends_at <= ${p(now)} OR ${t}.blocked_until IS NOT NULL)`;
    const newHits = () =>
      `CASE WHEN ${blocked()} THEN ${t}.hits WHEN ${fresh()} THEN 1 ELSE ${t}.hits + 1 END`;
    const sql = `INSERT INTO ${t} (key, hits, window_ends_at, blocked_until)
      VALUES (${p(key)}, 1, ${p(now + ttl)}, ${limit < 1 ? p(now + blockDuration) : 'NULL'})
      ON CONFLICT (key) DO UPDATE SET
        hits = ${newHits()},
        window_ends_at = CASE WHEN ${blocked()} THEN ${t}.window_ends_at
          WHEN ${fresh()} THEN ${p(now + ttl)} ELSE ${t}.window_ends_at END,
        blocked_until = CASE WHEN ${blocked()} THEN ${t}.blocked_until
          WHEN (${newHits()}) > ${p(limit)} THEN ${p(now + blockDuration)} ELSE NULL END
      RETURNING hits, window_ends_at, blocked_until`;
    const [row] = returnedRows<{
      hits: number | string;
      window_ends_at: number | string;
      blocked_until: number | string | null;
    }>(await this.dataSource.query(sql, params));
    if (!row) throw new Error('rate limit counter was not returned');
    const blockedUntil = row.blocked_until === null ? 0 : Number(row.blocked_until);
    const isBlocked = blockedUntil > now;
    return {
      totalHits: Number(row.hits),
      timeToExpire: Math.max(0, Math.ceil((Number(row.window_ends_at) - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((blockedUntil - now) / 1000) : 0,
    };
  }

  /** Deletes counters whose window and block are both over; errors only delay the next try. */
  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    const { p, params } = nativeStatement(this.dataSource);
    await this.dataSource.query(
      `DELETE FROM rate_limit_counters WHERE window_ends_at < ${p(now)}
        AND (blocked_until IS NULL OR blocked_until < ${p(now)})`,
      params,
    );
  }
}
