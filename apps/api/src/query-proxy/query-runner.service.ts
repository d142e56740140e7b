import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type {
  TQueryBody,
  TQueryParamSpec,
  TRestQueryBody,
  TRunQueryResponse,
  TSqlQueryBody,
} from '@bastion/contracts';
import { AuditContext, AuditEntryInput, AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import {
  isMetadataStoreOutage,
  MetadataStoreUnavailableException,
} from '../common/errors/metadata-store';
import type { Knex } from 'knex';
import type {
  DatasourceType,
  ResolvedDatasource,
  RunLimits,
  RunResult,
  SqlConnector,
} from '../datasources/connectors/connector';
import { reuseLivePool } from '../datasources/connectors/pool-manager';
import { compileSqlCached, placeholderNames, SqlDialect } from './bind-parameters';
import { DatasourceGateway } from './datasource-gateway';
import { MysqlExecutor } from './mysql-executor';
import { PostgresExecutor } from './postgres-executor';
import { checkParams, inferSpecs, toDriverValue } from './query-params';
import { mapDriverError } from './query-error-mapping';
import { RefusedRunAudit } from './refused-run-audit';
import { RunQueue } from './run-queue';
import { QueryErrorCode, QueryException } from './query.exception';
import { restPlaceholderNames } from './rest-request-template';
import { runRest } from './rest-executor';
import type { SqlExecutor } from './sql-executor';
import { SqliteExecutor } from './sqlite-executor';

/** One run as the apps module (saved queries) or the preview endpoint (ad-hoc) asks for it. */
export interface RunRequest {
  workspaceId: string;
  datasourceId: string;
  body: TQueryBody;
  /** Declared parameters; `undefined` for an ad-hoc preview (inferred from the values). */
  paramSpecs: TQueryParamSpec[] | undefined;
  paramValues: Record<string, unknown>;
  /** Per-query limits (ms, rows); capped by the instance's ceilings. */
  timeoutMs?: number | null;
  maxRows?: number | null;
  /** For the audit entry: what ran and who asked. */
  audit?: { context: AuditContext; queryId: string | null; appId: string | null; draft: boolean };
}

/** Pools remembered for reuse (one per datasource; a pool closed elsewhere is just skipped). */
const MAX_HELD_POOLS = 1_000;

/** The counts of a knex pool (tarn.js `Pool`). */
interface TarnCounts {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

const isSqlBody = (body: TQueryBody): body is TSqlQueryBody => 'sql' in body;

/**
 * A lookup in Bastion's own metadata store: its connection errors are a 503
 * `metadata_store_unavailable`, never mistaken for the datasource being unreachable.
 */
const metadataStep = <T>(step: Promise<T>): Promise<T> =>
  step.catch((error: unknown) => {
    throw isMetadataStoreOutage(error) ? new MetadataStoreUnavailableException() : error;
  });

/**
 * Runs a query on the user's behalf and keeps nothing: parameters are checked and bound,
 * the connector enforces egress, the executor enforces the timeout at the database, the caps
 * and streaming; the result goes back to the caller only. Neither parameter values nor result
 * values are logged, audited or stored (README.md in this folder).
 */
@Injectable()
export class QueryRunnerService implements OnModuleDestroy {
  private readonly logger = new Logger(QueryRunnerService.name);
  private readonly queue: RunQueue;
  private readonly refused: RefusedRunAudit;
  private readonly executors: Record<Exclude<DatasourceType, 'rest'>, SqlExecutor>;
  /** The pool last used per datasource id, reused while it stays live at that version. */
  private readonly heldPools = new Map<string, { version: number; pool: Knex }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly datasources: DatasourceGateway,
    @Optional() private readonly audit?: AuditService,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.queue = new RunQueue({
      maxRunning: config.queryProxy.maxConcurrentPerDatasource,
      maxQueued: config.queryProxy.queueMax,
      maxWaitMs: config.queryProxy.queueWaitMs,
    });
    this.metrics?.attachRunner({
      queueDepth: () => this.queue.depth(),
      poolUse: () => this.poolUse(),
    });
    this.refused = new RefusedRunAudit(audit, () =>
      this.logger.warn('could not record a query.run_refused audit entry'),
    );
    this.executors = {
      postgres: new PostgresExecutor(),
      mysql: new MysqlExecutor(),
      sqlite: new SqliteExecutor(config.datasources.sqliteDir),
    };
  }

  /** Shutdown: the open refusal windows are written before the audit buffer's last flush. */
  async onModuleDestroy(): Promise<void> {
    await this.refused.flush();
  }

  /** The placeholder names a body uses, for checking a saved query against its datasource. */
  placeholderNames(body: TQueryBody, type: DatasourceType): string[] {
    if (type === 'rest') {
      if (isSqlBody(body)) throw this.kindMismatch(type);
      return restPlaceholderNames(body);
    }
    if (!isSqlBody(body)) throw this.kindMismatch(type);
    return placeholderNames(body.sql, type);
  }

  /**
   * Runs one query.
   * @returns `{columns, rows, rowCount, truncated, durationMs}`; durationMs in milliseconds.
   * Answers only after the run's `query.run` audit entry is committed (group commit).
   * @throws QueryException: 400 bad parameters or body, 404 datasource, 422 database error or
   *   unreachable, 429 (with Retry-After) when the datasource's run queue is full or the wait
   *   in it passed QUERY_QUEUE_WAIT_MS, 503 `metadata_store_unavailable` (Retry-After) when
   *   Bastion's own database fails, including when the run's audit entry cannot be committed
   *   (the result is then withheld), 504 timeout.
   */
  async run(request: RunRequest): Promise<TRunQueryResponse> {
    const started = performance.now();
    let outcome = 'error';
    let result: RunResult | undefined;
    let type = 'unknown';
    try {
      // No secrets yet: a live pool of this id + version already holds its connection config.
      const ds = await metadataStep(
        this.datasources.describeForRun(request.workspaceId, request.datasourceId),
      );
      type = ds.type;
      const connector = this.datasources.connector(ds.type);
      const used = this.placeholderNames(request.body, ds.type);
      const specs = request.paramSpecs ?? inferSpecs(used, request.paramValues);
      const params = checkParams(specs, used, request.paramValues);
      const limits: RunLimits = {
        timeoutMs: Math.min(request.timeoutMs ?? this.config.queryProxy.defaultTimeoutMs, 120_000),
        maxRows: Math.min(
          request.maxRows ?? this.config.queryProxy.maxRows,
          this.config.queryProxy.maxRows,
        ),
        maxBytes: this.config.queryProxy.maxBytes,
      };
      const release = await this.queue.acquire(ds.id, request.audit?.context.meta.clientGone);
      try {
        if (connector.kind === 'rest') {
          // REST has no pool: credentials go into each request.
          const resolved = await metadataStep(
            this.datasources.resolveForRun(ds.workspaceId, ds.id),
          );
          result = await runRest(
            connector,
            resolved,
            request.body as TRestQueryBody,
            params,
            limits,
          );
        } else {
          const pool = await this.poolFor(connector, ds);
          result = await this.runSql(
            pool,
            connector,
            ds.type as SqlDialect,
            request.body as TSqlQueryBody,
            params,
            limits,
          );
        }
      } finally {
        release();
      }
      outcome = result.truncated ? 'truncated' : 'ok';
      return { ...result, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      const mapped = mapDriverError(
        error,
        request.timeoutMs ?? this.config.queryProxy.defaultTimeoutMs,
      );
      outcome = mapped.code;
      if (mapped.status >= 500 && mapped.status !== 504) {
        // Server log only: the error kind and the driver's code, never values or the query.
        const code = (error as { code?: unknown } | null)?.code;
        const kind =
          typeof code === 'string' || typeof code === 'number'
            ? String(code)
            : error instanceof Error
              ? error.name
              : 'unknown';
        this.logger.error(`query run failed: ${kind}`);
      }
      throw mapped;
    } finally {
      const environment = request.audit?.draft === false ? 'production' : 'draft';
      this.metrics?.recordRun(type, outcome, environment, (performance.now() - started) / 1000);
      // Refusals are audited as one aggregate per datasource per second, not one entry each.
      if (outcome === (QueryErrorCode.TooManyRuns as string)) {
        this.refused.note(request.workspaceId, request.datasourceId);
      } else {
        // No answered run without its audit entry: a failed append replaces the answer (503).
        await this.recordAudit(request, outcome, result, performance.now() - started);
      }
    }
  }

  /**
   * The pool for a run: the one this runner last used for `ds.id` when it is still the live
   * pool of that version (no secret read or decrypted), else the connector's pool for the
   * datasource resolved with its secrets (egress preflight, created if missing).
   */
  private async poolFor(
    connector: SqlConnector,
    ds: Omit<ResolvedDatasource, 'secrets'>,
  ): Promise<Knex> {
    const held = this.heldPools.get(ds.id);
    if (held && held.version === ds.version && reuseLivePool(held.pool, ds.version)) {
      return held.pool;
    }
    this.heldPools.delete(ds.id);
    const resolved = await metadataStep(this.datasources.resolveForRun(ds.workspaceId, ds.id));
    const pool = await connector.getPool(resolved);
    this.heldPools.set(ds.id, { version: resolved.version, pool });
    while (this.heldPools.size > MAX_HELD_POOLS) {
      const oldest = this.heldPools.keys().next().value;
      if (oldest === undefined) break;
      this.heldPools.delete(oldest);
    }
    return pool;
  }

  /** Connections of the pools this runner holds (tarn's counts), for the pool-use gauge. */
  private poolUse(): { used: number; free: number; pending: number } {
    const use = { used: 0, free: 0, pending: 0 };
    for (const { pool } of this.heldPools.values()) {
      const tarn = (pool as unknown as { client?: { pool?: TarnCounts } }).client?.pool;
      if (!tarn) continue;
      use.used += tarn.numUsed();
      use.free += tarn.numFree();
      use.pending += tarn.numPendingAcquires();
    }
    return use;
  }

  private async runSql(
    pool: Knex,
    connector: SqlConnector,
    dialect: SqlDialect,
    body: TSqlQueryBody,
    params: Map<string, unknown>,
    limits: RunLimits,
  ): Promise<RunResult> {
    const compiled = compileSqlCached(body.sql, dialect, connector.placeholderStyle);
    const values = compiled.names.map((name) => toDriverValue(params.get(name), dialect));
    return this.executors[dialect].run(pool, { text: compiled.text, values, limits });
  }

  private async recordAudit(
    request: RunRequest,
    outcome: string,
    result: RunResult | undefined,
    ms: number,
  ): Promise<void> {
    if (!this.audit || !request.audit) return;
    const { context, queryId, appId, draft } = request.audit;
    const entry: AuditEntryInput = {
      action: 'query.run',
      actor: context.actor,
      workspaceId: request.workspaceId,
      target: queryId
        ? { type: 'query', id: queryId }
        : { type: 'datasource', id: request.datasourceId },
      meta: context.meta,
      details: {
        appId,
        datasourceId: request.datasourceId,
        draft,
        adHoc: queryId === null,
        outcome,
        durationMs: Math.round(ms),
        rowCount: result?.rowCount ?? 0,
        truncated: result?.truncated ?? false,
      },
    };
    // The store is down: this run is answered 503 anyway, and its outcome is written once the
    // store is back (waiting for the commit here would lose it with the failed transaction).
    if (outcome === 'metadata_store_unavailable') return this.audit.recordWhenPossible(entry);
    await this.audit.record(entry).catch(() => {
      this.logger.error('could not commit a query.run audit entry: the run answers 503');
      // The result is withheld, so what the log must show is the 503, once the store is back.
      const details = { ...entry.details, outcome: 'metadata_store_unavailable', rowCount: 0 };
      this.audit?.recordWhenPossible({ ...entry, details });
      throw new MetadataStoreUnavailableException(
        "Bastion's metadata database is unavailable, so the run's audit log entry cannot be " +
          'written and its result is withheld; try again in a few seconds',
      );
    });
  }

  private kindMismatch(type: DatasourceType): QueryException {
    return new QueryException(
      QueryErrorCode.InvalidQuery,
      type === 'rest'
        ? 'body: a REST datasource takes {method, path, headers?, query?, body?}'
        : 'body: a SQL datasource takes {sql}',
    );
  }
}
