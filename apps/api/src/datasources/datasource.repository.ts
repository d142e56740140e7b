import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Not } from 'typeorm';
import { RUN_LOOKUP_CACHE_TTL_MS, ShortLivedCache } from '../auth/short-lived-cache';
import { MetadataTransactions } from '../database/metadata-transactions';
import { placeholderOf } from '../database/raw-statement';
import type { DatasourceType } from './connectors/connector';
import { DatasourceSecretEntity } from './datasource-secret.entity';
import { DatasourceEntity } from './datasource.entity';

/** What a run needs of a datasource row (no name, no timestamps, no secrets). */
export type DatasourceRunRow = Pick<
  DatasourceEntity,
  'id' | 'workspaceId' | 'version' | 'type' | 'config'
>;

/** A raw row of the run statement (snake_case column names, driver-typed integers). */
interface DatasourceRunRawRow {
  id: string;
  workspace_id: string;
  version: number | string;
  type: string;
  config: string;
}

/**
 * Queries on `datasources` and `datasource_secrets`. Every method takes the workspace id
 * first, so a lookup that forgets tenancy cannot be written; an optional manager runs it in
 * the caller's transaction.
 *
 * `findForRun` (every run) is cached for {@link RUN_LOOKUP_CACHE_TTL_MS} ms. Rows change only
 * inside {@link transaction} (update, delete), which clears that cache after it ends, so a
 * change takes effect at once on this replica.
 */
@Injectable()
export class DatasourceRepository {
  // The run path's lookup as a raw statement built once: TypeORM's find builder cost more CPU
  // per run than the read itself (bench/README.md, "Query proxy").
  private readonly runSql: string;
  private readonly runRows = new ShortLivedCache<DatasourceRunRow>(RUN_LOOKUP_CACHE_TTL_MS);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: MetadataTransactions,
  ) {
    const p = placeholderOf(dataSource);
    this.runSql = `SELECT id, workspace_id, version, type, config FROM datasources
      WHERE workspace_id = ${p(1)} AND id = ${p(2)} LIMIT 1`;
  }

  /** Runs `fn` in one transaction (see {@link MetadataTransactions}); clears the run cache after. */
  async transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.transactions.transaction(fn);
    } finally {
      this.runRows.clear();
    }
  }

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  list(workspaceId: string): Promise<DatasourceEntity[]> {
    return this.m().find(DatasourceEntity, { where: { workspaceId }, order: { nameKey: 'ASC' } });
  }

  findById(
    workspaceId: string,
    id: string,
    manager?: EntityManager,
  ): Promise<DatasourceEntity | null> {
    return this.m(manager).findOneBy(DatasourceEntity, { workspaceId, id });
  }

  /**
   * The columns a run needs of one datasource: one statement scoped by workspace, its answer
   * cached (see the class comment; a miss is not cached). `config` is the stored JSON text.
   * @returns null when the datasource is not in this workspace.
   */
  async findForRun(workspaceId: string, id: string): Promise<DatasourceRunRow | null> {
    const key = `${workspaceId}/${id}`;
    const cached = this.runRows.get(key);
    if (cached) return cached;
    const ticket = this.runRows.ticket();
    const [row] = await this.dataSource.query<DatasourceRunRawRow[]>(this.runSql, [
      workspaceId,
      id,
    ]);
    if (!row) return null;
    const found: DatasourceRunRow = {
      id: row.id,
      workspaceId: row.workspace_id,
      // NOT NULL integer; a driver may hand it over as a string.
      version: Number(row.version),
      type: row.type as DatasourceType,
      config: row.config,
    };
    this.runRows.set(key, found, ticket);
    return found;
  }

  /**
   * Every SQLite datasource of every workspace with its stored `config.filename`: the one
   * cross-workspace read, for the boot pass that moves legacy files into workspace folders
   * (sqlite-folder-migration.ts). Never used to answer a request.
   */
  async sqliteFilenamesOfAllWorkspaces(): Promise<
    { id: string; workspaceId: string; filename: unknown }[]
  > {
    const rows = await this.m().find(DatasourceEntity, {
      where: { type: 'sqlite' },
      select: { id: true, workspaceId: true, config: true },
    });
    return rows.map((r) => {
      let filename: unknown;
      try {
        filename = (JSON.parse(r.config) as { filename?: unknown }).filename;
      } catch {
        filename = undefined;
      }
      return { id: r.id, workspaceId: r.workspaceId, filename };
    });
  }

  /** True when another datasource of the workspace has this (lower-cased) name. */
  async nameTaken(workspaceId: string, nameKey: string, exceptId?: string): Promise<boolean> {
    const count = await this.m().countBy(DatasourceEntity, {
      workspaceId,
      nameKey,
      ...(exceptId ? { id: Not(exceptId) } : {}),
    });
    return count > 0;
  }

  async insert(workspaceId: string, row: DatasourceEntity, manager: EntityManager): Promise<void> {
    await manager.insert(DatasourceEntity, { ...row, workspaceId });
  }

  /**
   * Updates the row only if it is still at `expectedVersion` (optimistic concurrency).
   * @returns false when another update came first.
   */
  async updateIfVersion(
    workspaceId: string,
    id: string,
    expectedVersion: number,
    patch: Pick<DatasourceEntity, 'name' | 'nameKey' | 'config' | 'version' | 'updatedAt'>,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await manager.update(
      DatasourceEntity,
      { workspaceId, id, version: expectedVersion },
      patch,
    );
    return (result.affected ?? 0) === 1;
  }

  /**
   * Deletes the datasource and its secret rows (inside the caller's transaction). With
   * `expectedVersion` (If-Match) the row is first claimed by a conditional UPDATE, so a save
   * racing the delete cannot both succeed.
   * @returns 'deleted', 'missing', or 'stale' (version changed; nothing deleted).
   */
  async delete(
    workspaceId: string,
    id: string,
    manager: EntityManager,
    expectedVersion?: number,
  ): Promise<'deleted' | 'missing' | 'stale'> {
    if (expectedVersion !== undefined) {
      const claimed = await manager.update(
        DatasourceEntity,
        { workspaceId, id, version: expectedVersion },
        { version: expectedVersion + 1 },
      );
      if ((claimed.affected ?? 0) === 0) return 'stale';
    }
    await manager.delete(DatasourceSecretEntity, { workspaceId, datasourceId: id });
    const result = await manager.delete(DatasourceEntity, { workspaceId, id });
    return (result.affected ?? 0) > 0 ? 'deleted' : 'missing';
  }

  /** Secret rows of one datasource (ciphertext included: server-side use only). */
  secrets(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<DatasourceSecretEntity[]> {
    return this.m(manager).findBy(DatasourceSecretEntity, { workspaceId, datasourceId });
  }

  /** Secret rows of many datasources of one workspace, for the list view. */
  async secretsOf(workspaceId: string, datasourceIds: string[]): Promise<DatasourceSecretEntity[]> {
    if (datasourceIds.length === 0) return [];
    return this.m()
      .createQueryBuilder(DatasourceSecretEntity, 's')
      .where('s.workspace_id = :workspaceId', { workspaceId })
      .andWhere('s.datasource_id IN (:...ids)', { ids: datasourceIds })
      .getMany();
  }

  async upsertSecret(
    workspaceId: string,
    datasourceId: string,
    field: string,
    ciphertext: string,
    manager: EntityManager,
  ): Promise<void> {
    await manager.delete(DatasourceSecretEntity, { workspaceId, datasourceId, field });
    await manager.insert(DatasourceSecretEntity, {
      workspaceId,
      datasourceId,
      field,
      ciphertext,
      updatedAt: new Date(),
    });
  }

  async deleteSecret(
    workspaceId: string,
    datasourceId: string,
    field: string,
    manager: EntityManager,
  ): Promise<void> {
    await manager.delete(DatasourceSecretEntity, { workspaceId, datasourceId, field });
  }

  /** Every secret row of the instance, in pages (for `vault check`). */
  async *allSecrets(pageSize = 500): AsyncIterable<DatasourceSecretEntity> {
    let after = { datasourceId: '', field: '' };
    for (;;) {
      const page = await this.m()
        .createQueryBuilder(DatasourceSecretEntity, 's')
        .where('s.datasource_id > :id OR (s.datasource_id = :id AND s.field > :field)', {
          id: after.datasourceId,
          field: after.field,
        })
        .orderBy('s.datasource_id', 'ASC')
        .addOrderBy('s.field', 'ASC')
        .take(pageSize)
        .getMany();
      yield* page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1];
      after = { datasourceId: last.datasourceId, field: last.field };
    }
  }
}
