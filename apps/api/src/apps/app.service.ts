import { Injectable, Optional } from '@nestjs/common';
import {
  EMPTY_APP_DEFINITION,
  TApp,
  TAppDefinition,
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
import type { AuditAction, AuditDetails } from '../audit/audit-action';
import { AuditContext, AuditService } from '../audit/audit.service';
import { DatasourceGateway } from '../query-proxy/datasource-gateway';
import { QueryRunnerService } from '../query-proxy/query-runner.service';
import { roleAtLeast } from '../workspaces/workspace-role.guard';
import { AppEntity } from './app.entity';
import { AppErrorCode, AppsException } from './app.exception';
import { AppQueryEntity } from './app-query.entity';
import { AppRepository, RunnableQuery } from './app.repository';

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
    updatedAt: iso(q.updatedAt),
  };
}

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
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.insertApp(workspaceId, app);
    await this.record(
      ctx,
      'app.created',
      workspaceId,
      { type: 'app', id: app.id },
      { name: app.name },
    );
    return this.getApp(workspaceId, app.id);
  }

  /** The draft app with its draft queries (editors). @throws 404 */
  async getApp(workspaceId: string, appId: string): Promise<TApp> {
    const app = await this.requireApp(workspaceId, appId);
    const queries = await this.repository.listQueries(workspaceId, appId);
    return {
      id: app.id,
      name: app.name,
      definition: JSON.parse(app.draftDefinition) as TAppDefinition,
      queries: queries.map(toSavedQuery),
      publishedAt: app.publishedAt ? iso(app.publishedAt) : null,
      createdAt: iso(app.createdAt),
      updatedAt: iso(app.updatedAt),
    };
  }

  /** Edits the draft (name, definition); the published version is untouched. @throws 404 */
  async updateApp(
    workspaceId: string,
    appId: string,
    patch: TUpdateAppRequest,
    ctx: AuditContext,
  ): Promise<TApp> {
    await this.requireApp(workspaceId, appId);
    await this.repository.updateApp(workspaceId, appId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.definition !== undefined
        ? { draftDefinition: JSON.stringify(patch.definition) }
        : {}),
      updatedAt: new Date(),
    });
    await this.record(ctx, 'app.updated', workspaceId, { type: 'app', id: appId });
    return this.getApp(workspaceId, appId);
  }

  /** Deletes the app, its queries and its published copy. @throws 404 */
  async deleteApp(workspaceId: string, appId: string, ctx: AuditContext): Promise<void> {
    await this.requireApp(workspaceId, appId);
    await this.repository.deleteApp(workspaceId, appId);
    await this.record(ctx, 'app.deleted', workspaceId, { type: 'app', id: appId });
  }

  /**
   * Publishes the draft: freezes the definition and a copy of every query in one transaction.
   * @throws 404; 400 when a component's event names a query the app does not have.
   */
  async publish(workspaceId: string, appId: string, ctx: AuditContext): Promise<TPublishedApp> {
    const app = await this.requireApp(workspaceId, appId);
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
    await this.repository.publish(workspaceId, appId, app.draftDefinition, new Date());
    await this.record(
      ctx,
      'app.published',
      workspaceId,
      { type: 'app', id: appId },
      {
        name: app.name,
        queryCount: queries.length,
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
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.insertQuery(workspaceId, query);
    await this.record(
      ctx,
      'query.created',
      workspaceId,
      { type: 'query', id: query.id },
      {
        appId,
        name: query.name,
        datasourceId: query.datasourceId,
      },
    );
    return toSavedQuery(query);
  }

  /** Edits a draft query; the published copy is untouched until the next publish. */
  async updateQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    patch: TUpdateQueryRequest,
    ctx: AuditContext,
  ): Promise<TSavedQuery> {
    await this.requireApp(workspaceId, appId);
    const current = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!current) throw queryNotFound();
    const next = {
      name: patch.name ?? current.name,
      datasourceId: patch.datasourceId ?? current.datasourceId,
      body: patch.body ?? (JSON.parse(current.body) as TQueryBody),
      params: patch.params ?? (JSON.parse(current.params) as TQueryParamSpec[]),
    };
    await this.checkQuery(workspaceId, next.datasourceId, next.body, next.params);
    if (next.name !== current.name) await this.checkNameFree(workspaceId, appId, next.name);
    await this.repository.updateQuery(workspaceId, queryId, {
      name: next.name,
      datasourceId: next.datasourceId,
      body: JSON.stringify(next.body),
      params: JSON.stringify(next.params),
      ...(patch.timeoutMs !== undefined ? { timeoutMs: patch.timeoutMs } : {}),
      ...(patch.maxRows !== undefined ? { maxRows: patch.maxRows } : {}),
      updatedAt: new Date(),
    });
    await this.record(ctx, 'query.updated', workspaceId, { type: 'query', id: queryId }, { appId });
    const updated = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!updated) throw queryNotFound();
    return toSavedQuery(updated);
  }

  /** Deletes a draft query (its published copy stays until the next publish). */
  async deleteQuery(
    workspaceId: string,
    appId: string,
    queryId: string,
    ctx: AuditContext,
  ): Promise<void> {
    await this.requireApp(workspaceId, appId);
    const current = await this.repository.findQuery(workspaceId, appId, queryId);
    if (!current) throw queryNotFound();
    await this.repository.deleteQuery(workspaceId, appId, queryId);
    await this.record(ctx, 'query.deleted', workspaceId, { type: 'query', id: queryId }, { appId });
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
