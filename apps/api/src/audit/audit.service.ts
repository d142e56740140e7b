import { BeforeApplicationShutdown, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser, RequestMeta } from '../auth/request-context';
import { redactText } from '../common/logging/redact-text';
import { AuditAction, AuditDetails, BATCHED_ACTIONS } from './audit-action';
import { canonicalDetails, computeAuditHash } from './audit-hash';
import { AuditEventEntity } from './audit-event.entity';
import { AuditRepository } from './audit.repository';

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

const MAX_TEXT = 512;
const MAX_ARRAY = 100;
/**
 * Detail keys that would hold a value rather than a name: replaced by "[redacted]" as a last
 * line of defence (callers must not pass them in the first place).
 */
const VALUE_KEYS =
  /^(password|passwd|secret|secrets|token|apikey|api_key|value|values|params|parameters|rows|result|results|body|sql|config)$/i;

type PendingEntry = Omit<AuditEventEntity, 'sequence' | 'prevHash' | 'hash'>;

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
  private closed = false;

  constructor(private readonly repository: AuditRepository) {}

  /**
   * Records one entry. Resolves once it is stored, except for batched actions (`query.run`),
   * which resolve at once and are stored within {@link AUDIT_FLUSH_INTERVAL_MS} ms.
   * @throws database errors of an immediate append (the caller's request then fails: an
   *   action that cannot be audited is not silently allowed)
   */
  async record(entry: AuditEntryInput): Promise<void> {
    const row = this.toRow(entry);
    if (BATCHED_ACTIONS.has(entry.action) && !this.closed) {
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
      await this.enqueue((manager) => this.appendRows(manager, batch));
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
    let { lastSequence, lastHash } = head;
    const events: AuditEventEntity[] = [];
    for (const row of rows) {
      lastSequence += 1;
      const event = Object.assign(new AuditEventEntity(), row, {
        sequence: lastSequence,
        prevHash: lastHash,
      });
      event.hash = computeAuditHash(event);
      lastHash = event.hash;
      events.push(event);
    }
    await this.repository.appendLocked(manager, events, { lastSequence, lastHash });
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

  /** Buffered entries not yet committed and when the oldest was made (for the metrics). */
  backlog(): { pending: number; oldestAt: Date | null } {
    return { pending: this.pending.length, oldestAt: this.pending[0]?.occurredAt ?? null };
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
   * Group commit: immediate entries that arrive while an append runs are written together in
   * the next transaction, so concurrent requests share one lock round trip. Each caller's
   * promise settles when its entry is stored (or the transaction failed).
   */
  private scheduleGroup(): void {
    if (this.groupScheduled) return;
    this.groupScheduled = true;
    const run = this.queue.then(async () => {
      this.groupScheduled = false;
      const group = this.waiting;
      this.waiting = [];
      try {
        await this.repository.transaction((manager) =>
          this.appendRows(
            manager,
            group.map((g) => g.row),
          ),
        );
        for (const g of group) g.resolve();
      } catch (error) {
        for (const g of group) g.reject(error);
      }
    });
    this.queue = run;
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
