import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostRefusal } from '../common/http/allowed-hosts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AuditService } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** Where runs come from: published apps (`production`) or the editor (`draft`). */
export type RunEnvironment = 'production' | 'draft';

/** What the query runner reports for the queue and pool gauges, read at scrape time. */
export interface RunnerGauges {
  queueDepth(): number;
  poolUse(): { used: number; free: number; pending: number };
}

/** Run duration buckets, seconds: a one-row query (ms) up to the 120 s run ceiling. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Prometheus metrics (prom-client, text format 0.0.4), one registry per application.
 * Labels hold only closed sets (datasource type, outcome code, environment, pool state,
 * reason): never an id, a name, an email, a query text, a value or a secret, so a scrape
 * cannot leak what the audit log and the vault protect.
 * Off unless `METRICS_TOKEN` (bearer on `GET /metrics` of the main listener) or `METRICS_PORT`
 * (a separate listener on `METRICS_HOST`, no token) is set.
 */
@Injectable()
export class MetricsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();
  private readonly runs: Counter<'datasource_type' | 'outcome' | 'environment'>;
  private readonly duration: Histogram<'datasource_type' | 'environment'>;
  private readonly signInFailures: Counter<'reason'>;
  private runner: RunnerGauges | undefined;
  private listener: Server | undefined;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly audit?: AuditService,
  ) {
    const token = config.metrics.token;
    this.tokenDigest = token ? createHash('sha256').update(token).digest() : undefined;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({
      name: 'bastion_query_runs_total',
      help: 'Query runs answered, by datasource type, outcome code and environment',
      labelNames: ['datasource_type', 'outcome', 'environment'],
      registers,
    });
    this.duration = new Histogram({
      name: 'bastion_query_run_duration_seconds',
      help: 'Query run duration (queue wait included), seconds',
      labelNames: ['datasource_type', 'environment'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.signInFailures = new Counter({
      name: 'bastion_sign_in_failures_total',
      help: 'Refused sign-in attempts: invalid (401) or throttled (429)',
      labelNames: ['reason'],
      registers,
    });
    const queueDepth: Gauge<string> = new Gauge({
      name: 'bastion_query_queue_depth',
      help: 'Runs waiting in the per-datasource run queues of this process',
      registers,
      collect: () => {
        const gauge = queueDepth;
        gauge.set(this.runner?.queueDepth() ?? 0);
      },
    });
    const poolConnections: Gauge<string> = new Gauge({
      name: 'bastion_datasource_pool_connections',
      help: 'Connections of the SQL datasource pools this process runs on, by state',
      labelNames: ['state'],
      registers,
      collect: () => {
        const gauge = poolConnections;
        const use = this.runner?.poolUse() ?? { used: 0, free: 0, pending: 0 };
        gauge.set({ state: 'used' }, use.used);
        gauge.set({ state: 'free' }, use.free);
        gauge.set({ state: 'pending_acquire' }, use.pending);
      },
    });
    const auditPending: Gauge<string> = new Gauge({
      name: 'bastion_audit_pending_entries',
      help: 'Audit entries buffered in this process and not yet committed',
      registers,
      collect: () => {
        const gauge = auditPending;
        gauge.set(this.audit?.pendingCount() ?? 0);
      },
    });
    const auditOldest: Gauge<string> = new Gauge({
      name: 'bastion_audit_oldest_pending_age_seconds',
      help: 'Age of the oldest buffered audit entry, seconds (0 when none)',
      registers,
      collect: () => {
        const gauge = auditOldest;
        gauge.set((this.audit?.oldestPendingAgeMs() ?? 0) / 1000);
      },
    });
  }

  /** Lets the query runner feed the queue and pool gauges. */
  attachRunner(runner: RunnerGauges): void {
    this.runner = runner;
  }

  /** Counts one answered run; `seconds` = its duration. `type` 'unknown' when never resolved. */
  recordRun(type: string, outcome: string, environment: RunEnvironment, seconds: number): void {
    this.runs.inc({ datasource_type: type, outcome, environment });
    this.duration.observe({ datasource_type: type, environment }, seconds);
  }

  /** Counts one refused sign-in attempt. */
  recordSignInFailure(reason: 'invalid' | 'throttled'): void {
    this.signInFailures.inc({ reason });
  }

  /** True when the main listener serves `GET /metrics` (a token is configured). */
  get servedWithToken(): boolean {
    return this.tokenDigest !== undefined;
  }

  /**
   * Checks an `Authorization` header against `METRICS_TOKEN`: `Bearer <token>`, compared in
   * constant time (SHA-256 digests of equal length through `timingSafeEqual`).
   */
  authorized(header: string | undefined): boolean {
    if (!this.tokenDigest || !header) return false;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) return false;
    const given = createHash('sha256').update(match[1]).digest();
    return timingSafeEqual(given, this.tokenDigest);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config.metrics;
    if (port === undefined) return;
    // Same DNS-rebinding rule as the main listener: a page of another name resolving to this
    // address must not read the metrics from the operator's browser.
    const allowed = new Set(this.config.allowedHosts.map((h) => h.toLowerCase()));
    const server = createServer((req, res) => {
      const refusal = hostRefusal(req.headers.host, allowed);
      if (refusal) {
        res.writeHead(421, { 'content-type': 'text/plain' }).end(`${refusal}\n`);
        return;
      }
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      this.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Scrape failed\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.listener = server;
    this.logger.log(`Metrics on http://${host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.listener;
    this.listener = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
