import { Injectable, Optional } from '@nestjs/common';
import {
  EMPTY_APP_DEFINITION,
  TApp,
  TAppDefinition,
  TAppRevision,
  TAppSummary,
  TCreateAppRequest,
  TCreateQueryRequest,
  TPublishedApp,
  TQueryBody,
  TQueryParamSpec,
  TRunQueryResponse,
  TSavedQuery,
  TUpdateAppRequest,
  TUpdateQueryRequest,
  TWorkspaceRole,
} from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuditAction, AuditDetails } from '../audit/audit-action';
import { AuditContext, AuditService } from '../audit/audit.service';
import { requireIfMatch, VersionConflictException } from '../common/http/optimistic-concurrency';
import { MetadataTransactions } from '../database/metadata-transactions';
import { DatasourceGateway } from '../query-proxy/datasource-gateway';
import { QueryRunnerService } from '../query-proxy/query-runner.service';
import { roleAtLeast } from '../workspaces/workspace-role.guard';
import { AppEntity } from './app.entity';
import { AppErrorCode, AppsException } from './app.exception';
import { AppQueryEntity } from './app-query.entity';
import { AppRepository, RunnableQuery } from './app.repository';
import { isEmptySummary, summarize } from './app-revision-diff';
import { AppRevisionService, type RevisionRef, toSnapshotQuery } from './app-revision.service';

const appNotFound = () => new AppsException(AppErrorCode.AppNotFound, 'App not found');
const queryNotFound = () => new AppsException(AppErrorCode.QueryNotFound, 'Query not found');

const iso = (d: Date) => new Date(d).toISOString();

function toSavedQuery(q: AppQueryEntity): TSavedQuery {
  return {
    id: q.id,
    appId: q.appId,
    name: q.name,
    datasourceId: q.datasourceId,
    body: JSON.parse(q.body) as TQueryBody,
    params: JSON.parse(q.params) as TQueryParamSpec[],
    timeoutMs: q.timeoutMs,
    maxRows: q.maxRows,
    version: q.version,
    updatedAt: iso(q.updatedAt),
  };
}

/** Audit details naming the revision a save kept (never its content). */
const revisionDetails = (ref: RevisionRef) => ({ revisionId: ref.id, revision: ref.version });

/**
 * Apps and their saved queries (README.md in this folder). Editors edit drafts; publishing
 * freezes the definition and every query; viewers read the published app and run published
 * queries only. Every lookup is scoped by workspace: another workspace's app is 404.
 */
@Injectable()
export class AppService {
  constructor(
    private readonly repository: AppRepository,
    private readonly datasources: DatasourceGateway,
    private readonly runner: QueryRunnerService,
    private readonly transactions: MetadataTransactions,
    private readonly revisions: AppRevisionService,
    @Optional() private readonly audit?: AuditService,
  ) {}

  /** Apps of the workspace; viewers see published ones only. */
  async listApps(workspaceId: string, role: TWorkspaceRole): Promise<TAppSummary[]> {
    const apps = await this.repository.listApps(workspaceId, !roleAtLeast(role, 'editor'));
    return apps.map((a) => ({
      id: a.id,
      name: a.name,
      publishedAt: a.publishedAt ? iso(a.publishedAt) : null,
      updatedAt: iso(a.updatedAt),
    }));
  }

  /** Creates an app with the given (or a blank) draft definition. */
  async createApp(workspaceId: string, input: TCreateAppRequest, ctx: AuditContext): Promise<TApp> {
    const now = new Date();
    const app: AppEntity = {
      id: randomUUID(),
      workspaceId,
      name: input.name,
      draftDefinition: JSON.stringify(input.definition ?? EMPTY_APP_DEFINITION),
      publishedDefinition: null,
      publishedAt: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const ref = await this.transactions.transaction(async (m) => {
      await this.repository.insertApp(workspaceId, app, m);
      return this.revisions.record(workspaceId, app.id, ctx.actor?.userId ?? null, m, { now });
    });
    await this.record(
      ctx,
      'app.created',
      workspaceId,
      { type: 'app', id: app.id },
      { name: app.name, ...revisionDetails(ref) },
    );
    return this.getApp(workspaceId, app.id);
  }

  /**
   * The draft app with its draft queries (editors), its `version` and `unpublishedChanges`
   * (how the draft differs from the published copy; null when equal or never published).
   * @throws 404
   */
  async getApp(workspaceId: string, appId: string): Promise<TApp> {
    const app = await this.requireApp(workspaceId, appId);
    const queries = await this.repository.listQueries(workspaceId, appId);
    const definition = JSON.parse(app.draftDefinition) as TAppDefinition;
    let unpublishedChanges: TApp['unpublishedChanges'] = null;
    if (app.publishedDefinition) {
      const published = await this.repository.listPublishedQueries(workspaceId, appId);
      const summary = summarize(
        {
          name: app.name,
          definition: JSON.parse(app.publishedDefinition) as TAppDefinition,
          queries: published.map((q) => toSnapshotQuery({ ...q, id: q.queryId })),
        },
        { name: app.name, definition, queries: queries.map(toSnapshotQuery) },
      );
      if (!isEmptySummary(summary)) unpublishedChanges = { summary };
    }
    return {
      id: app.id,
      name: app.name,
      definition,
      queries: queries.map(toSavedQuery),
      publishedAt: app.publishedAt ? iso(app.publishedAt) : null,
      createdAt: iso(app.createdAt),
      updatedAt: iso(app.updatedAt),
      version: app.version,
      unpublishedChanges,
    };
  }

  /**
   * Edits the draft (name, definition) if the app is still at `expectedVersion` (the
   * `If-Match` of the request), bumps the version and keeps a revision, in one transaction.
   * The published version is untouched.
   * @throws 404; VersionConflictException (409 with the current version) when stale
   */
  async updateApp(
    workspaceId: string,
    appId: string,
    patch: TUpdateAppRequest,
    ifMatch: number | undefined,
    ctx: AuditContext,
  ): Promise<TApp> {
    await this.requireApp(workspaceId, appId);
    const expectedVersion = requireIfMatch(ifMatch);
    const ref = await this.transactions.transaction(async (m) => {
      const updated = await this.repository.updateAppIfVersion(
        workspaceId,
        appId,
        expectedVersion,
        {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.definition !== undefined
            ? { draftDefinition: JSON.stringify(patch.definition) }
            : {}),
          updatedAt: new Date(),
        },
        m,
      );
      if (!updated) await this.throwAppConflict(workspaceId, appId, m);
      return this.revisions.record(workspaceId, appId, ctx.actor?.userId ?? null, m);
    });
    const app = await this.getApp(workspaceId, appId);
    await this.record(
      ctx,
      'app.updated',
      workspaceId,
      { type: 'app', id: appId },
      { version: app.version, ...revisionDetails(ref) },
    );
    return app;
  }

  /**
   * Restores a revision's definition and draft queries as a new revision (new app version).
   * Queries the revision lacks are deleted, the ones it has are written back under their ids.
   * @throws 404 (app or revision, also another workspace's); 409 when `expectedVersion` is stale
   */
  async restoreRevision(
    workspaceId: string,
    appId: string,
    revisionId: string,
    expectedVersion: number | undefined,
    ctx: AuditContext,
  ): Promise<TApp> {
    const { from, ref } = await this.transactions.transaction(async (m) => {
      const version = await this.repository.appVersion(workspaceId, appId, m);
      if (version === null) throw appNotFound();
      const { revision, snapshot } = await this.revisions.snapshotOf(
        workspaceId,
        appId,
        revisionId,
        m,
      );
      const now = new Date();
      const updated = await this.repository.updateAppIfVersion(
        workspaceId,
        appId,
        expectedVersion ?? version,
        { draftDefinition: JSON.stringify(snapshot.definition), updatedAt: now },
        m,
      );
      if (!updated) await this.throwAppConflict(workspaceId, appId, m);
      await this.repository.deleteQueriesExcept(
        workspaceId,
        appId,
        snapshot.queries.map((q) => q.id),
        m,
      );
      // Two passes so names swapped between revisions never meet the unique (app, name) index.
      for (const q of snapshot.queries) {
        await this.repository.updateQueryIfVersion(
          workspaceId,
          appId,
          q.id,
          undefined,
          { name: `~restore~${q.id}` },
          m,
        );
      }
      for (const q of snapshot.queries) {
        const columns = {
          name: q.name,
          datasourceId: q.datasourceId,
          body: JSON.stringify(q.body),
          params: JSON.stringify(q.params),
          timeoutMs: q.timeoutMs,
          maxRows: q.maxRows,
          updatedAt: now,
        };
        const exists = await this.repository.updateQueryIfVersion(
          workspaceId,
          appId,
          q.id,
          undefined,
          columns,
          m,
        );
        if (!exists) {
          // A query deleted since: its last version is gone, and a stale tab may still hold
          // "1", "2"... Starting again at 1 would let that tab's save through (breaking
          // session), so it continues from a number no earlier save of it can have reached.
          const version = restartedQueryVersion(now);
          await this.repository.insertQuery(
            workspaceId,
            { id: q.id, appId, workspaceId, version, createdAt: now, ...columns },
            m,
          );
        }
      }
      const written = await this.revisions.record(
        workspaceId,
        appId,
        ctx.actor?.userId ?? null,
        m,
        { restoredFrom: revision.version, now },
      );
      return { from: revision, ref: written };
    });
    await this.record(
      ctx,
      'app.revision_restored',
      workspaceId,
      { type: 'app', id: appId },
      { restoredRevisionId: from.id, restoredRevision: from.version, ...revisionDetails(ref) },
    );
    return this.getApp(workspaceId, appId);
  }

  /** Revisions of the app, newest first (`before`: numbers below it). @throws 404 */
  async listRevisions(
    workspaceId: string,
    appId: string,
    before: number | undefined,
    limit: number,
  ): Promise<TAppRevision[]> {
    await this.requireApp(workspaceId, appId);
    return this.revisions.list(workspaceId, appId, before, limit);
  }

  /** Deletes the app, its queries and its published copy. @throws 404 */
  async deleteApp(
    workspaceId: string,
    appId: string,
    expectedVersion: number | undefined,
    ctx: AuditContext,
  ): Promise<void> {
    const app = await this.requireApp(workspaceId, appId);
    if (expectedVersion !== undefined && expectedVersion !== app.version) {
      throw new VersionConflictException(app.version, 'app');
    }
    if (!(await this.repository.deleteApp(workspaceId, appId, expectedVersion))) {
      const now = await this.requireApp(workspaceId, appId);
      throw new VersionConflictException(now.version, 'app');
    }
    await this.record(ctx, 'app.deleted', workspaceId, { type: 'app', id: appId });
  }

  /**
   * Publishes the draft: freezes the definition and a copy of every query in one transaction.
   * @throws 404; 400 when a component's event names a query the app does not have.
   */
  async publish(
    workspaceId: string,
    appId: string,
    expectedVersion: number | undefined,
    ctx: AuditContext,
  ): Promise<TPublishedApp> {
    const app = await this.requireApp(workspaceId, appId);
    if (expectedVersion !== undefined && expectedVersion !== app.version) {
      throw new VersionConflictException(app.version, 'app');
    }
    const definition = JSON.parse(app.draftDefinition) as TAppDefinition;
    const queries = await this.repository.listQueries(workspaceId, appId);
    const ids = new Set(queries.map((q) => q.id));
    for (const page of definition.pages) {
      for (const component of page.components) {
        for (const event of component.events ?? []) {
          if (!ids.has(event.queryId)) {
            throw new AppsException(
              AppErrorCode.InvalidDefinition,
              `Component "${component.id}" runs a query this app does not have (${event.queryId})`,
            );
          }
        }
      }
    }
    const ref = await this.repository.publish(
      workspaceId,
      appId,
      app.draftDefinition,
      new Date(),
      async (m) => {
        if ((await this.repository.appVersion(workspaceId, appId, m)) !== app.version) {
          // A save landed between the checks above and this transaction: refuse, so the
          // published copy is always a state the checks saw.
          await this.throwAppConflict(workspaceId, appId, m);
        }
        return this.revisions.markPublished(workspaceId, appId, ctx.actor?.userId ?? null, m);
      },
    );
    await this.record(
      ctx,
      'app.published',
      workspaceId,
      { type: 'app', id: appId },
      {
        name: app.name,
        queryCount: queries.length,
        ...revisionDetails(ref),
      },
    );
    return this.getPublished(workspaceId, appId);
  }

  /**
   * The published app for viewers: definition plus query ids, names and parameters; never
   * query text or datasource ids. @throws 404 when not (yet) published.
   */
  async getPublished(workspaceId: string, appId: string): Promise<TPublishedApp> {
    const app = await this.requireApp(workspaceId, appId);
    if (!app.publishedDefinition || !app.publishedAt) {
      throw new AppsException(AppErrorCode.NotPublished, 'This app has not been published yet');
    }
    const queries = await this.repository.listPublishedQueries(workspaceId, appId);
    return {
      id: app.id,
      name: app.name,
      definition: JSON.parse(app.publishedDefinition) as TAppDefinition,
      queries: queries.map((q) => ({
        id: q.queryId,
        name: q.name,
        params: JSON.parse(q.params) as TQueryParamSpec[],
      })),
      publishedAt: iso(app.publishedAt),
    };
  }

  /**
   * Saves a new draft query. The datasource must be one of this workspace (else 404), the body
   * must suit its type and every placeholder must be declared in `params` (else 400).
   */
  async createQuery(
    workspaceId: string,
    appId: string,
    input: TCreateQueryRequest,
    ctx: AuditContext,
  ): Promise<TSavedQuery> {
    await this.requireApp(workspaceId, appId);
    await this.checkQuery(workspaceId, input.datasourceId, input.body, input.params);
    await this.checkNameFree(workspaceId, appId, input.name);
    const now = new Date();
    const query: AppQueryEntity = {
      id: randomUUID(),
      appId,
      workspaceId,
      name: input.name,
      datasourceId: input.datasourceId,
      body: JSON.stringify(input.body),
      params: JSON.stringify(input.params),
      timeoutMs: input.timeoutMs ?? null,
      maxRows: input.maxRows ?? null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const ref = await this.saveInApp(workspaceId, appId, ctx, now, async (m) => {
      await this.repository.insertQuery(workspaceId, query, m);
    });
    await this.record(
      ctx,
      'query.created',
      workspaceId,
      { type: 'query', id: query.id },
      {
        appId,
        name: query.name,
        datasourceId: query.datasourceId,
        ...revisionDetails(ref),
      },
    );
    return toSavedQuery(query);
  }

  /** One draft query (editors). @throws 404 */
  async getQuery(workspaceId: string, appId: string, queryId: string): Promise<TSavedQuery> {
    const query = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!query) throw queryNotFound();
    return toSavedQuery(query);
  }

  /**
   * Edits a draft query if it is still at `expectedVersion` (`If-Match`), bumps its version and
   * keeps a revision of the app; the published copy is untouched until the next publish.
   * @throws 404, 400, 409 (name taken; VersionConflictException with the current version)
   */
  async updateQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    patch: TUpdateQueryRequest,
    ifMatch: number | undefined,
    ctx: AuditContext,
  ): Promise<TSavedQuery> {
    await this.requireApp(workspaceId, appId);
    const current = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!current) throw queryNotFound();
    // The version is checked by the conditional UPDATE below (atomic), not by this read.
    const expectedVersion = requireIfMatch(ifMatch);
    const next = {
      name: patch.name ?? current.name,
      datasourceId: patch.datasourceId ?? current.datasourceId,
      body: patch.body ?? (JSON.parse(current.body) as TQueryBody),
      params: patch.params ?? (JSON.parse(current.params) as TQueryParamSpec[]),
    };
    await this.checkQuery(workspaceId, next.datasourceId, next.body, next.params);
    if (next.name !== current.name) await this.checkNameFree(workspaceId, appId, next.name);
    const now = new Date();
    const ref = await this.saveInApp(workspaceId, appId, ctx, now, async (m) => {
      const updated = await this.repository.updateQueryIfVersion(
        workspaceId,
        appId,
        queryId,
        expectedVersion,
        {
          name: next.name,
          datasourceId: next.datasourceId,
          body: JSON.stringify(next.body),
          params: JSON.stringify(next.params),
          ...(patch.timeoutMs !== undefined ? { timeoutMs: patch.timeoutMs } : {}),
          ...(patch.maxRows !== undefined ? { maxRows: patch.maxRows } : {}),
          updatedAt: now,
        },
        m,
      );
      if (!updated) await this.throwQueryConflict(workspaceId, appId, queryId, m);
    });
    await this.record(
      ctx,
      'query.updated',
      workspaceId,
      { type: 'query', id: queryId },
      { appId, ...revisionDetails(ref) },
    );
    const updated = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!updated) throw queryNotFound();
    return toSavedQuery(updated);
  }

  /**
   * Deletes a draft query (its published copy stays until the next publish) and keeps a
   * revision of the app. With `expectedVersion` (an optional `If-Match`), 409 when stale.
   */
  async deleteQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    expectedVersion: number | undefined,
    ctx: AuditContext,
  ): Promise<void> {
    await this.requireApp(workspaceId, appId);
    const current = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!current) throw queryNotFound();
    const ref = await this.saveInApp(workspaceId, appId, ctx, new Date(), async (m) => {
      const deleted = await this.repository.deleteQuery(
        workspaceId,
        appId,
        queryId,
        expectedVersion,
        m,
      );
      if (!deleted) await this.throwQueryConflict(workspaceId, appId, queryId, m);
    });
    await this.record(
      ctx,
      'query.deleted',
      workspaceId,
      { type: 'query', id: queryId },
      { appId, ...revisionDetails(ref) },
    );
  }

  /**
   * One transaction for a save of a query: locks the app row (touching `updated_at`), runs
   * `write`, then keeps a revision of the app. @throws 404 when the app is gone
   */
  private saveInApp(
    workspaceId: string,
    appId: string,
    ctx: AuditContext,
    now: Date,
    write: (m: EntityManager) => Promise<void>,
  ): Promise<RevisionRef> {
    return this.transactions.transaction(async (m) => {
      if (!(await this.repository.touchApp(workspaceId, appId, now, m))) throw appNotFound();
      await write(m);
      return this.revisions.record(workspaceId, appId, ctx.actor?.userId ?? null, m, { now });
    });
  }

  /** Throws 409 with the app's current version, or 404 when it is gone. */
  private async throwAppConflict(
    workspaceId: string,
    appId: string,
    m: EntityManager,
  ): Promise<never> {
    const version = await this.repository.appVersion(workspaceId, appId, m);
    if (version === null) throw appNotFound();
    throw new VersionConflictException(version, 'app');
  }

  /** Throws 409 with the query's current version, or 404 when it is gone. */
  private async throwQueryConflict(
    workspaceId: string,
    appId: string,
    queryId: string,
    m: EntityManager,
  ): Promise<never> {
    const query = await this.repository.findQueryIn(workspaceId, appId, queryId, m);
    if (!query) throw queryNotFound();
    throw new VersionConflictException(query.version, 'query');
  }

  /**
   * Runs a saved query. Without `draft`, the published copy runs (any member; 403 if the query
   * was never published). With `draft`, the draft runs (editors only; 403 for viewers).
   * @throws 404 app/query, 403 as above, QueryException from the runner.
   */
  async runQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    paramValues: Record<string, unknown>,
    draft: boolean,
    role: TWorkspaceRole,
    ctx: AuditContext,
  ): Promise<TRunQueryResponse> {
    // Hot path: one metadata lookup. Both tables are scoped by workspace and app, so a row
    // found proves the app exists in this workspace; a miss is 404 (or 403 for a draft-only).
    let source: RunnableQuery;
    if (draft) {
      if (!roleAtLeast(role, 'editor')) {
        throw new AppsException(
          AppErrorCode.DraftNeedsEditor,
          'Only editors can run draft queries',
        );
      }
      const q = await this.repository.findRunnableQuery(workspaceId, appId, queryId);
      if (!q) throw queryNotFound();
      source = q;
    } else {
      const published = await this.repository.findPublishedQuery(workspaceId, appId, queryId);
      if (!published) {
        const exists = await this.repository.findQuery(workspaceId, appId, queryId);
        if (!exists) throw queryNotFound();
        throw new AppsException(
          AppErrorCode.QueryNotPublished,
          roleAtLeast(role, 'editor')
            ? 'This query is not published; run the draft with ?draft=true or publish the app'
            : 'This query is not published',
        );
      }
      source = published;
    }
    return this.runner.run({
      workspaceId,
      datasourceId: source.datasourceId,
      body: JSON.parse(source.body) as TQueryBody,
      paramSpecs: JSON.parse(source.params) as TQueryParamSpec[],
      paramValues,
      timeoutMs: source.timeoutMs,
      maxRows: source.maxRows,
      audit: { context: ctx, queryId, appId, draft },
    });
  }

  private async requireApp(workspaceId: string, appId: string): Promise<AppEntity> {
    const app = await this.repository.findApp(workspaceId, appId);
    if (!app) throw appNotFound();
    return app;
  }

  private async checkNameFree(workspaceId: string, appId: string, name: string): Promise<void> {
    if (await this.repository.findQueryByName(workspaceId, appId, name)) {
      throw new AppsException(
        AppErrorCode.QueryNameTaken,
        `This app already has a query named "${name}"`,
      );
    }
  }

  /** The datasource is of this workspace (404 otherwise), body suits it, placeholders declared. */
  private async checkQuery(
    workspaceId: string,
    datasourceId: string,
    body: TQueryBody,
    params: TQueryParamSpec[],
  ): Promise<void> {
    const type = await this.datasources.typeOf(workspaceId, datasourceId);
    const used = this.runner.placeholderNames(body, type);
    const declared = new Set(params.map((p) => p.name));
    const undeclared = used.filter((n) => !declared.has(n));
    if (undeclared.length > 0) {
      throw new AppsException(
        AppErrorCode.InvalidQuery,
        `params: declare the placeholders ${undeclared.join(', ')} (name and type)`,
      );
    }
    if (declared.size !== params.length) {
      throw new AppsException(AppErrorCode.InvalidQuery, 'params: each name may be declared once');
    }
  }

  private async record(
    ctx: AuditContext,
    action: AuditAction,
    workspaceId: string,
    target: { type: string; id: string },
    details?: AuditDetails,
  ): Promise<void> {
    if (!this.audit) return;
    await this.audit.record({
      action,
      actor: ctx.actor,
      workspaceId,
      target,
      meta: ctx.meta,
      details,
    });
  }
}

/**
 * Version of a query re-created by a restore: seconds since 2020-01-01 (about 2.2e8 in 2026),
 * beyond any count of saves one query can have had, and within a 32-bit integer column until
 * 2088.
 */
export function restartedQueryVersion(now: Date): number {
  return Math.floor((now.getTime() - Date.UTC(2020, 0, 1)) / 1000);
}
