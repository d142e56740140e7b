import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { MetadataTransactions } from '../database/metadata-transactions';
import { AUDIT_CHAIN_ID, AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditEventEntity } from './audit-event.entity';

/** Filters of the workspace listing; every field optional. */
export interface AuditEventFilter {
  /** A user id (exact) or part of an email (case-insensitive). */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Only entries with a smaller sequence (the previous page's cursor). */
  beforeSequence?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Storage of the audit chain. Reads for the web are scoped by workspace id (first argument);
 * the chain-wide methods (append, verify, prune) are for the audit services only. There is no
 * update method for entries, and the only delete removes an oldest-first prefix (retention).
 */
@Injectable()
export class AuditRepository {
  /** Rows per INSERT statement: 50 x 14 values stays under SQLite's bound-parameter limit. */
  private static readonly APPEND_CHUNK = 50;
  private readonly appendColumns: ColumnMetadata[];
  private readonly appendSql: (rows: number) => string;
  private readonly headSql: { lock: string; read: string; write: string };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: MetadataTransactions,
  ) {
    // The append's INSERT as one raw statement per chunk size, built from the entity's own
    // column metadata; TypeORM's insert builder cost ~25 us per entry, more than SQLite itself.
    this.appendColumns = dataSource.getMetadata(AuditEventEntity).columns;
    const postgres = dataSource.options.type === 'postgres';
    const names = this.appendColumns.map((c) => `"${c.databaseName}"`).join(', ');
    const width = this.appendColumns.length;
    const p = (n: number) => (postgres ? `$${n}` : '?');
    this.headSql = {
      lock: `UPDATE "audit_chain_head" SET "last_sequence" = "last_sequence" WHERE "id" = ${p(1)}`,
      read: `SELECT "last_sequence", "last_hash" FROM "audit_chain_head" WHERE "id" = ${p(1)}`,
      write: `UPDATE "audit_chain_head" SET "last_sequence" = ${p(1)}, "last_hash" = ${p(2)} WHERE "id" = ${p(3)}`,
    };
    const cache = new Map<number, string>();
    this.appendSql = (rows) => {
      let sql = cache.get(rows);
      if (!sql) {
        const tuples = Array.from({ length: rows }, (_, r) => {
          const slots = Array.from({ length: width }, (_, c) =>
            postgres ? `$${r * width + c + 1}` : '?',
          );
          return `(${slots.join(', ')})`;
        });
        sql = `INSERT INTO "audit_events" (${names}) VALUES ${tuples.join(', ')}`;
        cache.set(rows, sql);
      }
      return sql;
    };
  }

  /**
   * Runs `fn` in one transaction (see {@link MetadataTransactions}: on SQLite it also waits for
   * the other modules' transactions).
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.transactions.transaction(fn);
  }

  /**
   * Locks the chain head for the rest of the transaction and returns it. The first statement
   * is a no-op UPDATE: a row lock on PostgreSQL (other replicas wait here), the database write
   * lock on SQLite (taken up front, so no deferred-upgrade SQLITE_BUSY).
   */
  async lockHead(manager: EntityManager): Promise<AuditChainHeadEntity> {
    // Raw statements: every run's group commit goes through here, and TypeORM's builders cost
    // more CPU than the statements themselves (bench/README.md, "Audit group commit").
    await manager.query(this.headSql.lock, [AUDIT_CHAIN_ID]);
    const rows: { last_sequence: string | number; last_hash: string }[] = await manager.query(
      this.headSql.read,
      [AUDIT_CHAIN_ID],
    );
    if (rows.length !== 1) throw new Error('audit chain head row is missing');
    return Object.assign(new AuditChainHeadEntity(), {
      id: AUDIT_CHAIN_ID,
      lastSequence: Number(rows[0].last_sequence),
      lastHash: rows[0].last_hash,
    });
  }

  async readHead(): Promise<AuditChainHeadEntity> {
    return this.dataSource.manager.findOneByOrFail(AuditChainHeadEntity, { id: AUDIT_CHAIN_ID });
  }

  async appendLocked(
    manager: EntityManager,
    events: AuditEventEntity[],
    head: { lastSequence: number; lastHash: string },
  ): Promise<void> {
    // Values converted by the driver exactly as TypeORM's insert would (dates on SQLite, ...).
    const driver = this.dataSource.driver;
    for (let i = 0; i < events.length; i += AuditRepository.APPEND_CHUNK) {
      const chunk = events.slice(i, i + AuditRepository.APPEND_CHUNK);
      const values: unknown[] = [];
      for (const event of chunk) {
        for (const column of this.appendColumns) {
          values.push(driver.preparePersistentValue(column.getEntityValue(event), column));
        }
      }
      await manager.query(this.appendSql(chunk.length), values);
    }
    await manager.query(this.headSql.write, [head.lastSequence, head.lastHash, AUDIT_CHAIN_ID]);
  }

  /**
   * A workspace's entries, newest first: only entries whose `workspace_id` is the workspace.
   * Instance-level entries (no workspace: sign-ins, failed sign-ins, account changes) never
   * match, also not those of the workspace's members (they go to the person themselves,
   * {@link listForUser}). Entries of another workspace never match.
   */
  listForWorkspace(
    workspaceId: string,
    filter: AuditEventFilter,
    limit: number,
  ): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.workspace_id = :workspaceId', { workspaceId });
    this.applyFilter(qb, filter);
    return qb.orderBy('e.sequence', 'DESC').limit(limit).getMany();
  }

  /**
   * Instance-level entries (no workspace: sign-ins, failed sign-ins also for unknown emails,
   * account changes, instance settings, operator commands), newest first, for instance admins.
   * Entries of workspaces never match.
   */
  listInstanceLevel(filter: AuditEventFilter, limit: number): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.workspace_id IS NULL');
    this.applyFilter(qb, filter);
    return qb.orderBy('e.sequence', 'DESC').limit(limit).getMany();
  }

  /**
   * A person's own instance-level entries, newest first: entries without a workspace whose
   * actor is the user or whose target is the user's account (sign-ins, failed sign-ins for
   * the account, sign-outs, two-factor and password changes). Nobody else's entries: a failed
   * sign-in names the account it tried only when the account existed at the time.
   */
  listForUser(
    userId: string,
    beforeSequence: number | undefined,
    limit: number,
  ): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.manager
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.workspace_id IS NULL')
      .andWhere(
        new Brackets((w) => {
          w.where('e.actor_user_id = :userId', { userId }).orWhere(
            "e.target_type = 'user' AND e.target_id = :userId",
            { userId },
          );
        }),
      );
    if (beforeSequence !== undefined) {
      qb.andWhere('e.sequence < :before', { before: beforeSequence });
    }
    return qb.orderBy('e.sequence', 'DESC').limit(limit).getMany();
  }

  private applyFilter(qb: SelectQueryBuilder<AuditEventEntity>, f: AuditEventFilter): void {
    if (f.actor !== undefined) {
      if (UUID.test(f.actor)) {
        qb.andWhere('e.actor_user_id = :actorId', { actorId: f.actor.toLowerCase() });
      } else {
        qb.andWhere("LOWER(e.actor_email) LIKE :actorEmail ESCAPE '\\'", {
          actorEmail: `%${escapeLike(f.actor.toLowerCase())}%`,
        });
      }
    }
    if (f.action !== undefined) qb.andWhere('e.action = :action', { action: f.action });
    if (f.targetType !== undefined) {
      qb.andWhere('e.target_type = :targetType', { targetType: f.targetType });
    }
    if (f.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: f.targetId });
    if (f.from !== undefined) qb.andWhere('e.occurred_at >= :from', { from: f.from });
    if (f.to !== undefined) qb.andWhere('e.occurred_at < :to', { to: f.to });
    if (f.beforeSequence !== undefined) {
      qb.andWhere('e.sequence < :before', { before: f.beforeSequence });
    }
  }

  /** The whole chain in sequence order from `afterSequence` (exclusive), one page. */
  chainPage(afterSequence: number, limit: number): Promise<AuditEventEntity[]> {
    return this.dataSource.manager
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.sequence > :after', { after: afterSequence })
      .orderBy('e.sequence', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The newest retention checkpoint, or null when nothing was ever pruned. */
  latestCheckpoint(manager: EntityManager = this.dataSource.manager) {
    return manager
      .createQueryBuilder(AuditCheckpointEntity, 'c')
      .orderBy('c.sequence', 'DESC')
      .limit(1)
      .getOne();
  }

  /**
   * The last sequence of the oldest-first prefix whose entries all happened before `cutoff`
   * (clocks of replicas may disagree, so the prefix stops at the first newer entry). 0 if none.
   */
  async prunableThrough(manager: EntityManager, cutoff: Date, headSequence: number) {
    const firstKept = await manager
      .createQueryBuilder(AuditEventEntity, 'e')
      .select('MIN(e.sequence)', 'min')
      .where('e.occurred_at >= :cutoff', { cutoff })
      .getRawOne<{ min: string | number | null }>();
    return firstKept?.min === null || firstKept?.min === undefined
      ? headSequence
      : Number(firstKept.min) - 1;
  }

  findBySequence(manager: EntityManager, sequence: number) {
    return manager.findOneBy(AuditEventEntity, { sequence });
  }

  /** Retention only: records the checkpoint and removes entries up to `sequence`. */
  async deleteThrough(manager: EntityManager, checkpoint: AuditCheckpointEntity): Promise<number> {
    await manager.insert(AuditCheckpointEntity, checkpoint);
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(AuditEventEntity)
      .where('sequence <= :through', { through: checkpoint.sequence })
      .execute();
    return result.affected ?? 0;
  }
}
