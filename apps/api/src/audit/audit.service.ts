import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser, RequestMeta } from '../auth/request-context';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { redactText } from '../common/logging/redact-text';
import { AuditAction, AuditDetails, BATCHED_ACTIONS } from './audit-action';
import { canonicalDetails, computeAuditHash } from './audit-hash';
import { AuditEventEntity } from './audit-event.entity';
import { AuditChainPosition, AuditRepository } from './audit.repository';

/** What a module records. `meta` comes from `@ReqMeta()`; `null` actor = anonymous or system. */
export interface AuditEntryInput {
  action: AuditAction;
  actor: { userId: string; email: string } | null;
  workspaceId: string | null;
  target?: { type: string; id: string };
  meta: RequestMeta;
  /** Names, ids, counts, flags. Never a secret, a query parameter value or a result value. */
  details?: AuditDetails;
}

/** Who acts and from where: what a service needs from its controller to record an entry. */
export interface AuditContext {
  actor: { userId: string; email: string } | null;
  meta: RequestMeta;
}

/** The audit context of a signed-in user's request (what controllers hand their services). */
export function auditContextOf(user: AuthUser, meta: RequestMeta): AuditContext {
  return { actor: { userId: user.id, email: user.email }, meta };
}

/** Meta for entries made outside a request (operator commands). */
export const SYSTEM_META: RequestMeta = {
  ip: 'local',
  userAgent: 'bastion-cli',
  correlationId: '',
};

/** Batched entries are flushed at least this often (ms): a crash loses at most this window. */
export const AUDIT_FLUSH_INTERVAL_MS = 500;
/** ...or as soon as this many are waiting. */
export const AUDIT_FLUSH_BATCH_SIZE = 100;
/** Beyond this many waiting entries (database down), new batched entries wait for the flush. */
const MAX_PENDING = 10_000;
/**
 * Most entries one group-commit transaction writes; more waiting go in the next one (bounds a
 * transaction's time holding the chain lock: ~1,000 entries take tens of ms, README.md).
 */
export const AUDIT_GROUP_MAX = 1_000;

/**
 * When a `query.run` entry is durable relative to the run's answer (`AUDIT_RUN_DURABILITY`):
 * `committed` (default): `record` resolves after the entry's group commit, and the query runner
 * answers only then; `buffered`: the former behaviour (resolve at once, write within
 * {@link AUDIT_FLUSH_INTERVAL_MS}), kept only so bench/ can measure both side by side.
 */
export type AuditRunDurability = 'committed' | 'buffered';

const MAX_TEXT = 512;
const MAX_ARRAY = 100;
/**
 * Detail keys that would hold a value rather than a name: replaced by "[redacted]" as a last
 * line of defence (callers must not pass them in the first place).
 */
const VALUE_KEYS =
  /^(password|passwd|secret|secrets|token|apikey|api_key|value|values|params|parameters|rows|result|results|body|sql|config)$/i;

type PendingEntry = Omit<AuditEventEntity, 'sequence' | 'prevHash' | 'hash'>;

/** Resolves in the event loop's check phase, after the I/O callbacks of the current turn. */
function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The entries `rows` become when appended after `head`: sequences, previous hashes and hashes
 * chained in order (audit-hash.ts).
 */
function chainEvents(head: AuditChainPosition, rows: PendingEntry[]): AuditEventEntity[] {
  let { lastSequence, lastHash } = head;
  return rows.map((row) => {
    lastSequence += 1;
    const event = Object.assign(new AuditEventEntity(), row, {
      sequence: lastSequence,
      prevHash: lastHash,
    });
    event.hash = computeAuditHash(event);
    lastHash = event.hash;
    return event;
  });
}

/**
 * The audit log's write side (README.md in this folder). `record` appends one entry to the
 * instance's hash chain; high-volume actions (`query.run`) are buffered and written in batches
 * every {@link AUDIT_FLUSH_INTERVAL_MS} ms or {@link AUDIT_FLUSH_BATCH_SIZE} entries, and on
 * shutdown. Appends serialise in-process (a promise queue) and across replicas (a lock on the
 * chain-head row), so the chain never forks.
 */
@Injectable()
export class AuditService implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private pending: PendingEntry[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Immediate entries waiting for the next append transaction (group commit). */
  private waiting: { row: PendingEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private groupScheduled = false;
  /** The rows of the group-commit transaction running now (for {@link oldestPendingAgeMs}). */
  private inFlight: PendingEntry[] = [];
  private closed = false;
  private readonly runDurability: AuditRunDurability;
  private readonly committedListeners = new Set<() => void>();

  constructor(
    private readonly repository: AuditRepository,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.runDurability = config?.audit.runDurability ?? 'committed';
  }

  /**
   * Records one entry and resolves once it is committed (group commit: entries of concurrent
   * callers share one transaction). With `AUDIT_RUN_DURABILITY=buffered` (bench only), batched
   * actions (`query.run`) resolve at once and are stored within {@link AUDIT_FLUSH_INTERVAL_MS}.
   * @throws database errors of the append (the caller's request then fails: an action that
   *   cannot be audited is not silently allowed, and a run is not answered)
   */
  async record(entry: AuditEntryInput): Promise<void> {
    const row = this.toRow(entry);
    if (this.runDurability === 'buffered' && BATCHED_ACTIONS.has(entry.action) && !this.closed) {
      this.pending.push(row);
      // Backpressure only when the database has been failing for a while.
      if (this.pending.length >= MAX_PENDING) await this.flush();
      else
        this.flushSoon(this.pending.length >= AUDIT_FLUSH_BATCH_SIZE ? 0 : AUDIT_FLUSH_INTERVAL_MS);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      this.scheduleGroup();
    });
  }

  /**
   * Records one entry without waiting for it: it is buffered, written with the next batch and
   * kept for the next attempt while the metadata store is down. For entries whose request is
   * answered with an error anyway (a run refused because the store is down): the outcome is
   * recorded once the store is back instead of being lost with the failed commit.
   */
  recordWhenPossible(entry: AuditEntryInput): void {
    this.pending.push(this.toRow(entry));
    this.flushSoon(AUDIT_FLUSH_INTERVAL_MS);
  }

  /**
   * Entries accepted by {@link record} and not yet committed (waiting for, or in, a group
   * commit, or buffered): the "audit lag" of this process, for metrics and the drain.
   */
  pendingCount(): number {
    return this.waiting.length + this.inFlight.length + this.pending.length;
  }

  /** Age in milliseconds of the oldest entry not yet committed; 0 when none is waiting. */
  oldestPendingAgeMs(now: number = Date.now()): number {
    const firsts = [this.inFlight[0], this.waiting[0]?.row, this.pending[0]].filter(
      (r): r is PendingEntry => r !== undefined,
    );
    if (firsts.length === 0) return 0;
    return Math.max(0, now - Math.min(...firsts.map((r) => r.occurredAt.getTime())));
  }

  /**
   * Calls `listener` after each commit that appended entries in this process (the SIEM
   * shipper wakes on it). Returns the function that removes it. Listener errors are ignored.
   */
  onCommitted(listener: () => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** Writes every buffered entry now. Resolves when they are stored. */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.queue.then(() => undefined);
    try {
      await this.enqueueAppend(batch);
      this.notifyCommitted();
    } catch (error) {
      // Keep them for the next attempt; order among buffered entries is preserved.
      this.pending = batch.concat(this.pending);
      throw error;
    }
  }

  /**
   * Runs `fn` in one transaction, after every earlier append of this process; `fn` takes the
   * chain lock with `AuditRepository.lockHead`. For the retention command.
   */
  withChainLock<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.enqueue(fn);
  }

  /** Appends rows inside a transaction that holds the chain lock (see {@link withChainLock}). */
  async appendRows(manager: EntityManager, rows: PendingEntry[]): Promise<void> {
    const head = await this.repository.lockHead(manager);
    const events = chainEvents(head, rows);
    const last = events[events.length - 1];
    await this.repository.appendLocked(
      manager,
      events,
      last ? { lastSequence: last.sequence, lastHash: last.hash } : head,
    );
  }

  /** Converts an input to a row: validated, bounded, details canonical. */
  toRow(entry: AuditEntryInput): PendingEntry {
    return {
      occurredAt: new Date(),
      actorUserId: entry.actor?.userId ?? null,
      actorEmail: entry.actor ? entry.actor.email.slice(0, 320) : null,
      workspaceId: entry.workspaceId,
      action: entry.action,
      targetType: entry.target?.type.slice(0, 64) ?? null,
      targetId: entry.target?.id.slice(0, 128) ?? null,
      ip: entry.meta.ip ? entry.meta.ip.slice(0, 64) : null,
      userAgent: entry.meta.userAgent ? entry.meta.userAgent.slice(0, 256) : null,
      correlationId: entry.meta.correlationId ? entry.meta.correlationId.slice(0, 64) : null,
      details: canonicalDetails(this.boundDetails(entry.action, entry.details ?? {})),
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.closeAndFlush();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.closeAndFlush();
  }

  private async closeAndFlush(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } catch (error) {
      this.logger.error(
        `Could not write ${this.pending.length} buffered audit entries at shutdown: ${error instanceof Error ? error.name : 'error'}`,
      );
    }
  }

  /** Schedules a flush in `delayMs` (sooner replaces later; a pending one is kept). */
  private flushSoon(delayMs: number): void {
    if (this.flushTimer && delayMs > 0) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch((error: unknown) => {
        this.logger.error(
          `Audit batch write failed, retrying: ${redactText(error instanceof Error ? error.message : String(error))}`,
        );
        if (this.pending.length > 0 && !this.closed) this.flushSoon(AUDIT_FLUSH_INTERVAL_MS);
      });
    }, delayMs);
    // A pending flush must not keep a finished CLI process alive; shutdown flushes anyway.
    this.flushTimer.unref();
  }

  /**
   * Group commit: entries that arrive while an append runs, or in the same event-loop turn, are
   * written together in the next transaction, which starts as soon as the previous one ends
   * (at the end of the current turn when none runs), so
   * concurrent requests share one lock round trip and one commit. Each caller's promise
   * settles when its entry is committed (or the transaction failed: every caller of that group
   * gets the error, none of its entries is stored).
   */
  private scheduleGroup(): void {
    if (this.groupScheduled) return;
    this.groupScheduled = true;
    // Start at the end of this event-loop turn, not in the next microtask: runs whose queries
    // answered in the same poll phase then share the transaction. On SQLite the append is
    // synchronous and ends before any other I/O callback, so without this every group held
    // one entry and every run paid a whole commit (bench/README.md, "Audit group commit").
    const run = this.queue.then(afterThisTurn).then(async () => {
      this.groupScheduled = false;
      const group = this.waiting.slice(0, AUDIT_GROUP_MAX);
      this.waiting = this.waiting.slice(group.length);
      if (this.waiting.length > 0) this.scheduleGroup();
      this.inFlight = group.map((g) => g.row);
      try {
        await this.repository.append((head) =>
          chainEvents(
            head,
            group.map((g) => g.row),
          ),
        );
        this.inFlight = [];
        for (const g of group) g.resolve();
        this.notifyCommitted();
      } catch (error) {
        this.inFlight = [];
        for (const g of group) g.reject(error);
      }
    });
    this.queue = run;
  }

  private notifyCommitted(): void {
    for (const listener of this.committedListeners) {
      try {
        listener();
      } catch {
        // A listener (the shipper's wake-up) never fails an append.
      }
    }
  }

  /** {@link AuditRepository.append} of `rows`, after every earlier append of this process. */
  private enqueueAppend(rows: PendingEntry[]): Promise<void> {
    const run = this.queue.then(() => this.repository.append((head) => chainEvents(head, rows)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private enqueue<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.repository.transaction(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private boundDetails(action: AuditAction, details: AuditDetails): AuditDetails {
    const out: AuditDetails = {};
    for (const [key, value] of Object.entries(details).slice(0, 50)) {
      if (VALUE_KEYS.test(key)) {
        this.logger.warn(`Audit detail "${key}" of ${action} dropped: it may hold a value`);
        out[key] = '[redacted]';
      } else if (typeof value === 'string') {
        out[key] = value.slice(0, MAX_TEXT);
      } else if (Array.isArray(value)) {
        out[key] = value.slice(0, MAX_ARRAY).map((v) => String(v).slice(0, MAX_TEXT));
      } else if (typeof value === 'number') {
        out[key] = Number.isFinite(value) ? value : null;
      } else {
        out[key] = value;
      }
    }
    return out;
  }
}
