import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type BetterSqlite3 from 'better-sqlite3';
import type { PoolClient } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { MetadataTransactions } from '../database/metadata-transactions';
import { withSqliteConnection } from '../database/sqlite-connection-gate';
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

/** The chain head: the last entry's sequence and hash (0 and the genesis hash when empty). */
export interface AuditChainPosition {
  lastSequence: number;
  lastHash: string;
}

/**
 * Builds the entries to append after `head`: their `sequence`, `prevHash` and `hash` set, in
 * order. Called inside the transaction that holds the chain lock; must be synchronous.
 */
export type AuditAppendBuilder = (head: AuditChainPosition) => AuditEventEntity[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The PostgreSQL element type of a column's array in the unnest INSERT. */
function pgArrayType(column: ColumnMetadata): string {
  if (column.type === 'bigint') return 'bigint';
  if (column.type === Date) return 'timestamptz';
  if (column.type === 'varchar' || column.type === 'text') return 'text';
  throw new Error(`audit append: no array type for column ${column.databaseName}`);
}

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
  /** PostgreSQL group append: the entries and the new head in one statement (arrays). */
  private readonly pgAppendSql: string = '';
  /** better-sqlite3 statements of the group append, prepared once per connection. */
  private sqlite?: {
    db: BetterSqlite3.Database;
    read: BetterSqlite3.Statement;
    insert: BetterSqlite3.Statement;
    write: BetterSqlite3.Statement;
  };

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
    if (postgres) {
      // One INSERT ... SELECT FROM unnest(arrays) for any number of rows (one statement text, so
      // one prepared plan), chained with the head update: one round trip per group.
      const arrays = this.appendColumns.map((c, i) => `$${i + 1}::${pgArrayType(c)}[]`);
      const k = width;
      this.pgAppendSql =
        `WITH appended AS (INSERT INTO "audit_events" (${names}) ` +
        `SELECT * FROM unnest(${arrays.join(', ')})) ` +
        `UPDATE "audit_chain_head" SET "last_sequence" = $${k + 1}, "last_hash" = $${k + 2} ` +
        `WHERE "id" = $${k + 3}`;
    }
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
   * Appends the entries `build` returns at the end of the chain, in one transaction that holds
   * the chain lock (the head row) from reading the head to the commit, so replicas never fork
   * the chain; resolves once that transaction committed. The group commit's path, cut to the
   * fewest round trips (bench/README.md, "Audit group commit"):
   * - SQLite: one synchronous better-sqlite3 transaction (BEGIN IMMEDIATE, read head, prepared
   *   INSERT per entry, head update, COMMIT) on the gated connection: no promise hop inside it,
   *   so other requests wait for the connection only for its statements.
   * - PostgreSQL: a pooled connection; `BEGIN` and the locking `UPDATE ... RETURNING` of the
   *   head in one message, the entries and the new head in one statement, `COMMIT`: three round
   *   trips instead of six.
   * @throws the driver's error; nothing is stored then (the transaction rolled back)
   */
  async append(build: AuditAppendBuilder): Promise<void> {
    if (this.dataSource.options.type === 'postgres') return this.appendPostgres(build);
    await withSqliteConnection(this.dataSource, (db) => {
      const st = this.sqliteStatements(db);
      db.transaction(() => {
        const head = st.read.get(AUDIT_CHAIN_ID) as
          | { last_sequence: number | bigint; last_hash: string }
          | undefined;
        if (!head) throw new Error('audit chain head row is missing');
        const position = { lastSequence: Number(head.last_sequence), lastHash: head.last_hash };
        const events = build(position);
        if (events.length === 0) return;
        const driver = this.dataSource.driver;
        for (const event of events) {
          st.insert.run(
            this.appendColumns.map((column): unknown =>
              driver.preparePersistentValue(column.getEntityValue(event), column),
            ),
          );
        }
        const last = events[events.length - 1];
        st.write.run(last.sequence, last.hash, AUDIT_CHAIN_ID);
      }).immediate();
    });
  }

  private sqliteStatements(db: BetterSqlite3.Database) {
    if (this.sqlite?.db !== db) {
      this.sqlite = {
        db,
        read: db.prepare(this.headSql.read),
        insert: db.prepare(this.appendSql(1)),
        write: db.prepare(this.headSql.write),
      };
    }
    return this.sqlite;
  }

  private async appendPostgres(build: AuditAppendBuilder): Promise<void> {
    const driver = this.dataSource.driver as PostgresDriver;
    const [client, release] = (await driver.obtainMasterConnection()) as [
      PoolClient,
      (error?: unknown) => void,
    ];
    try {
      // A simple-protocol message may hold several statements; the id is a constant literal.
      const results = (await client.query(
        `BEGIN; UPDATE "audit_chain_head" SET "last_sequence" = "last_sequence" ` +
          `WHERE "id" = '${AUDIT_CHAIN_ID}' RETURNING "last_sequence", "last_hash"`,
      )) as unknown as { rows: { last_sequence: string | number; last_hash: string }[] }[];
      const head = results[1]?.rows[0];
      if (!head) throw new Error('audit chain head row is missing');
      const events = build({ lastSequence: Number(head.last_sequence), lastHash: head.last_hash });
      if (events.length > 0) {
        const columns = this.appendColumns.map((column): unknown[] =>
          events.map((event): unknown =>
            driver.preparePersistentValue(column.getEntityValue(event), column),
          ),
        );
        const last = events[events.length - 1];
        await client.query(this.pgAppendSql, [
          ...columns,
          last.sequence,
          last.hash,
          AUDIT_CHAIN_ID,
        ]);
      }
      await client.query('COMMIT');
      release();
    } catch (error) {
      // Roll back if the connection still works; else drop it from the pool.
      try {
        await client.query('ROLLBACK');
        release();
      } catch (rollbackError) {
        release(rollbackError);
      }
      throw error;
    }
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
