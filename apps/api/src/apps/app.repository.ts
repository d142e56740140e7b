import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, Not, Repository } from 'typeorm';
import { RUN_LOOKUP_CACHE_TTL_MS, ShortLivedCache } from '../auth/short-lived-cache';
import { MetadataTransactions } from '../database/metadata-transactions';
import { intOrNull, placeholderOf } from '../database/raw-statement';
import { AppEntity } from './app.entity';
import { AppPublishedQueryEntity, AppQueryEntity } from './app-query.entity';

/** What a run needs of a saved query (its draft or its published copy). */
export interface RunnableQuery {
  datasourceId: string;
  /** JSON text: `{sql}` or `{method,path,headers?,query?,body?}`. */
  body: string;
  /** JSON text of the declared parameters (`TQueryParamSpec[]`). */
  params: string;
  /** Milliseconds; null: the server default. */
  timeoutMs: number | null;
  /** null: the server default. */
  maxRows: number | null;
}

/** A raw row of the run statements (snake_case column names, driver-typed integers). */
interface RunnableQueryRow {
  datasource_id: string;
  body: string;
  params: string;
  timeout_ms: number | string | null;
  max_rows: number | string | null;
}

function toRunnableQuery(rows: RunnableQueryRow[]): RunnableQuery | null {
  const row = rows[0];
  if (!row) return null;
  return {
    datasourceId: row.datasource_id,
    body: row.body,
    params: row.params,
    timeoutMs: intOrNull(row.timeout_ms),
    maxRows: intOrNull(row.max_rows),
  };
}

/**
 * Apps, draft queries and published queries. Every method takes the workspace id first.
 *
 * `findPublishedQuery` (every viewer run) is cached for {@link RUN_LOOKUP_CACHE_TTL_MS} ms;
 * the two writes of published copies (`publish`, `deleteApp`) clear that cache after their
 * commit, so they take effect at once on this replica. Draft runs are not cached.
 */
@Injectable()
export class AppRepository {
  // The run path's lookups as raw statements built once: TypeORM's find builder cost more CPU
  // per run than the read itself (bench/README.md, "Query proxy").
  private readonly publishedRunSql: string;
  private readonly draftRunSql: string;
  private readonly publishedRuns = new ShortLivedCache<RunnableQuery>(RUN_LOOKUP_CACHE_TTL_MS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: MetadataTransactions,
    @InjectRepository(AppEntity) private readonly apps: Repository<AppEntity>,
    @InjectRepository(AppQueryEntity) private readonly queries: Repository<AppQueryEntity>,
    @InjectRepository(AppPublishedQueryEntity)
    private readonly published: Repository<AppPublishedQueryEntity>,
  ) {
    const p = placeholderOf(dataSource);
    const columns = 'datasource_id, body, params, timeout_ms, max_rows';
    // Bound in this order: workspace id, app id, query id.
    this.publishedRunSql = `SELECT ${columns} FROM app_published_queries
      WHERE workspace_id = ${p(1)} AND app_id = ${p(2)} AND query_id = ${p(3)} LIMIT 1`;
    this.draftRunSql = `SELECT ${columns} FROM app_queries
      WHERE workspace_id = ${p(1)} AND app_id = ${p(2)} AND id = ${p(3)} LIMIT 1`;
  }

  listApps(workspaceId: string, publishedOnly: boolean): Promise<AppEntity[]> {
    const qb = this.apps
      .createQueryBuilder('a')
      .where('a.workspace_id = :workspaceId', { workspaceId })
      .orderBy('a.name', 'ASC');
    if (publishedOnly) qb.andWhere('a.published_at IS NOT NULL');
    return qb.getMany();
  }

  findApp(workspaceId: string, appId: string): Promise<AppEntity | null> {
    return this.apps.findOneBy({ workspaceId, id: appId });
  }

  async insertApp(workspaceId: string, app: AppEntity, m: EntityManager): Promise<void> {
    await m.insert(AppEntity, { ...app, workspaceId });
  }

  /**
   * Writes the draft only if the app is still at `expectedVersion`, and bumps the version:
   * one conditional UPDATE, so of two saves from the same version exactly one wins (on
   * PostgreSQL the second waits for the first's row lock, then matches no row).
   * @returns false when the app is gone or at another version
   */
  async updateAppIfVersion(
    workspaceId: string,
    appId: string,
    expectedVersion: number,
    patch: Partial<Pick<AppEntity, 'name' | 'draftDefinition'>> & { updatedAt: Date },
    m: EntityManager,
  ): Promise<boolean> {
    const result = await m
      .createQueryBuilder()
      .update(AppEntity)
      .set({ ...patch, version: () => 'version + 1' })
      .where('workspace_id = :workspaceId AND id = :appId AND version = :expectedVersion', {
        workspaceId,
        appId,
        expectedVersion,
      })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /**
   * Touches the app row (`updated_at`) inside a transaction that saves one of its queries: it
   * takes the app's row lock, so revisions of one app are written one at a time.
   * @returns false when the app is not in this workspace
   */
  async touchApp(workspaceId: string, appId: string, at: Date, m: EntityManager): Promise<boolean> {
    const result = await m.update(AppEntity, { workspaceId, id: appId }, { updatedAt: at });
    return (result.affected ?? 0) === 1;
  }

  /** The app's version now (inside a transaction), or null when it is gone. */
  async appVersion(workspaceId: string, appId: string, m: EntityManager): Promise<number | null> {
    const app = await m.findOneBy(AppEntity, { workspaceId, id: appId });
    return app ? app.version : null;
  }

  /**
   * Deletes the app, its queries and published copy in one transaction. With `expectedVersion`
   * (If-Match) the version check is a conditional UPDATE inside that transaction, so a save that
   * races the delete either lands first (the delete then answers 409) or finds no row after.
   * @returns false when `expectedVersion` is stale (nothing deleted).
   */
  async deleteApp(workspaceId: string, appId: string, expectedVersion?: number): Promise<boolean> {
    try {
      return await this.transactions.transaction(async (m) => {
        if (expectedVersion !== undefined) {
          const claimed = await m
            .createQueryBuilder()
            .update(AppEntity)
            .set({ version: () => 'version + 1' })
            .where('workspace_id = :workspaceId AND id = :appId AND version = :expectedVersion', {
              workspaceId,
              appId,
              expectedVersion,
            })
            .execute();
          if ((claimed.affected ?? 0) === 0) return false;
        }
        await m.delete(AppPublishedQueryEntity, { workspaceId, appId });
        await m.delete(AppQueryEntity, { workspaceId, appId });
        await m.delete(AppEntity, { workspaceId, id: appId });
        return true;
      });
    } finally {
      this.publishedRuns.clear();
    }
  }

  listQueries(workspaceId: string, appId: string): Promise<AppQueryEntity[]> {
    return this.queries.find({ where: { workspaceId, appId }, order: { name: 'ASC' } });
  }

  findQuery(workspaceId: string, appId: string, queryId: string): Promise<AppQueryEntity | null> {
    return this.queries.findOneBy({ workspaceId, appId, id: queryId });
  }

  /**
   * The draft of a query, for a run (`?draft=true`): one statement scoped by workspace and app.
   * @returns null when the app is not in this workspace or has no such query.
   */
  async findRunnableQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
  ): Promise<RunnableQuery | null> {
    return this.runnable(this.draftRunSql, workspaceId, appId, queryId);
  }

  findQueryByName(
    workspaceId: string,
    appId: string,
    name: string,
  ): Promise<AppQueryEntity | null> {
    return this.queries.findOneBy({ workspaceId, appId, name });
  }

  async insertQuery(workspaceId: string, query: AppQueryEntity, m: EntityManager): Promise<void> {
    await m.insert(AppQueryEntity, { ...query, workspaceId });
  }

  /**
   * Writes a draft query only if it is still at `expectedVersion` (when given), and bumps its
   * version; one conditional UPDATE (see `updateAppIfVersion`).
   * @returns false when the query is gone or at another version
   */
  async updateQueryIfVersion(
    workspaceId: string,
    appId: string,
    queryId: string,
    expectedVersion: number | undefined,
    patch: Partial<Omit<AppQueryEntity, 'id' | 'appId' | 'workspaceId' | 'createdAt' | 'version'>>,
    m: EntityManager,
  ): Promise<boolean> {
    const qb = m
      .createQueryBuilder()
      .update(AppQueryEntity)
      .set({ ...patch, version: () => 'version + 1' })
      .where('workspace_id = :workspaceId AND app_id = :appId AND id = :queryId', {
        workspaceId,
        appId,
        queryId,
      });
    if (expectedVersion !== undefined)
      qb.andWhere('version = :expectedVersion', { expectedVersion });
    const result = await qb.execute();
    return (result.affected ?? 0) === 1;
  }

  /** @returns false when the query is gone or (with `expectedVersion`) at another version */
  async deleteQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    expectedVersion: number | undefined,
    m: EntityManager,
  ): Promise<boolean> {
    const result = await m.delete(AppQueryEntity, {
      workspaceId,
      appId,
      id: queryId,
      ...(expectedVersion !== undefined ? { version: expectedVersion } : {}),
    });
    return (result.affected ?? 0) === 1;
  }

  /** Deletes the app's draft queries except the given ids (a restore). */
  async deleteQueriesExcept(
    workspaceId: string,
    appId: string,
    keepIds: string[],
    m: EntityManager,
  ): Promise<void> {
    await m.delete(AppQueryEntity, {
      workspaceId,
      appId,
      ...(keepIds.length > 0 ? { id: Not(In(keepIds)) } : {}),
    });
  }

  /** A draft query read inside a transaction. */
  findQueryIn(
    workspaceId: string,
    appId: string,
    queryId: string,
    m: EntityManager,
  ): Promise<AppQueryEntity | null> {
    return m.findOneBy(AppQueryEntity, { workspaceId, appId, id: queryId });
  }

  listPublishedQueries(workspaceId: string, appId: string): Promise<AppPublishedQueryEntity[]> {
    return this.published.find({ where: { workspaceId, appId }, order: { name: 'ASC' } });
  }

  /**
   * The published copy of a query, for a run: one statement scoped by workspace and app, its
   * answer cached (see the class comment; a miss is not cached).
   * @returns null when the app is not in this workspace or the query was never published.
   */
  async findPublishedQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
  ): Promise<RunnableQuery | null> {
    const key = `${workspaceId}/${appId}/${queryId}`;
    const cached = this.publishedRuns.get(key);
    if (cached) return cached;
    const ticket = this.publishedRuns.ticket();
    const found = await this.runnable(this.publishedRunSql, workspaceId, appId, queryId);
    if (found) this.publishedRuns.set(key, found, ticket);
    return found;
  }

  /** Runs one of the run-path lookups (bound: workspace id, app id, query id). */
  private async runnable(
    sql: string,
    workspaceId: string,
    appId: string,
    queryId: string,
  ): Promise<RunnableQuery | null> {
    const rows = await this.dataSource.query<RunnableQueryRow[]>(sql, [
      workspaceId,
      appId,
      queryId,
    ]);
    return toRunnableQuery(rows);
  }

  /**
   * Publishes in one transaction: the app's published definition and a fresh copy of every
   * draft query replace the previous published state, so viewers never see a mix.
   */
  async publish<T>(
    workspaceId: string,
    appId: string,
    definition: string,
    at: Date,
    inTransaction: (m: EntityManager) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.publishTransaction(workspaceId, appId, definition, at, inTransaction);
    } finally {
      this.publishedRuns.clear();
    }
  }

  private async publishTransaction<T>(
    workspaceId: string,
    appId: string,
    definition: string,
    at: Date,
    inTransaction: (m: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.transactions.transaction(async (m) => {
      const drafts = await m.find(AppQueryEntity, { where: { workspaceId, appId } });
      await m.delete(AppPublishedQueryEntity, { workspaceId, appId });
      if (drafts.length > 0) {
        await m.insert(
          AppPublishedQueryEntity,
          drafts.map((q) => ({
            appId,
            queryId: q.id,
            workspaceId,
            name: q.name,
            datasourceId: q.datasourceId,
            body: q.body,
            params: q.params,
            timeoutMs: q.timeoutMs,
            maxRows: q.maxRows,
            publishedAt: at,
          })),
        );
      }
      await m.update(
        AppEntity,
        { workspaceId, id: appId },
        { publishedDefinition: definition, publishedAt: at },
      );
      return inTransaction(m);
    });
  }
}
