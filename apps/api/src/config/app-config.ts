import { isAbsolute, join, resolve } from 'node:path';
import { ZEnvSchema } from './app-config.schema';

/** Injection token of the parsed, frozen {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** The server's configuration: read from the environment once, at boot, then injected. */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** Absolute path of the data folder (SQLite file, generated key). */
  dataDir: string;
  /** PostgreSQL URL of the metadata store; undefined means embedded SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  vault: {
    /** Raw `VAULT_KEYS` keyring text; parsed by the credential vault. */
    keyring: string | undefined;
    password: string | undefined;
    salt: string | undefined;
  };
  egress: {
    deny: string[];
    allow: string[];
    publicIps: string[];
    /** RFC 1918 / RFC 4193 / CGNAT targets allowed unless `EGRESS_ALLOW_PRIVATE=false`. */
    allowPrivate: boolean;
    /** Loopback targets: allowed by default only in development. */
    allowLoopback: boolean;
  };
  datasources: {
    /** Absolute folder holding one folder per workspace (`<sqliteDir>/<workspace id>/`). */
    sqliteDir: string;
    /** Connections per datasource pool. */
    poolMax: number;
    /** Milliseconds after which an unused pool is closed. */
    poolIdleMs: number;
    /** Milliseconds allowed to open one connection. */
    connectTimeoutMs: number;
  };
  tls: { certFile: string; keyFile: string } | undefined;
  trustProxy: string | undefined;
  /** With TLS on: a plain-HTTP port that answers every request with 308 to the HTTPS URL. */
  httpRedirectPort: number | undefined;
  /**
   * Browser origins allowed to call the API cross-origin with cookies (`CORS_ORIGINS`); empty
   * means same-origin only (no CORS headers at all). `*` is refused in production.
   */
  corsOrigins: string[];
  /**
   * Host names a plain-HTTP request may name besides IP addresses and localhost
   * (`ALLOWED_HOSTS`): the DNS-rebinding defence, `common/http/allowed-hosts.ts`.
   */
  allowedHosts: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Folder of the built web app, served by the API when `serveWeb` is on. */
  webDistDir: string;
  serveWeb: boolean;
  /** Query proxy limits: defaults and ceilings of every run (ms, rows, bytes of JSON). */
  queryProxy: {
    defaultTimeoutMs: number;
    maxRows: number;
    maxBytes: number;
    maxConcurrentPerDatasource: number;
    /** Runs that may wait per datasource when all its slots are taken (`QUERY_QUEUE_MAX`). */
    queueMax: number;
    /** Longest wait in that queue before a 429, ms (`QUERY_QUEUE_WAIT_MS`). */
    queueWaitMs: number;
  };
  /**
   * Sign-in protection: attempts allowed per account (email) and per source address in each
   * window of `windowMs`; the next attempt is refused (429) until the window has passed again.
   */
  loginLimits: { perAccount: number; perAddress: number; windowMs: number };
  /** App version history: revisions older than this many days are pruned (not published ones). */
  appRevisionRetentionDays: number;
  /**
   * Graceful shutdown (common/lifecycle/graceful-drain.ts): answer as not-ready for `drainMs`
   * (`SHUTDOWN_DRAIN_MS`) after SIGTERM, then wait up to `inFlightLimitMs` (the longest run's
   * limit + 5 s) for requests in flight.
   */
  shutdown: { drainMs: number; inFlightLimitMs: number };
  /**
   * Prometheus metrics (metrics/README.md): `GET /metrics` with a bearer `token`
   * (`METRICS_TOKEN`) on the main listener, and/or a separate listener on `host:port`
   * (`METRICS_HOST`, `METRICS_PORT`) without a token. Off when neither is set.
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /** `BASTION_ADMIN_PASSWORD`: the password `admin create` uses instead of reading stdin. */
  adminPassword: string | undefined;
  /**
   * SQLite metadata store commit mode (`SQLITE_SYNCHRONOUS`): `normal` (default, WAL: durable
   * across process crashes, the last commits may roll back on power loss) or `full`.
   */
  sqliteSynchronous: 'normal' | 'full';
  audit: {
    /** `AUDIT_RUN_DURABILITY`: `committed` (default); `buffered` for the bench only. */
    runDurability: 'committed' | 'buffered';
    /** Syslog sink (RFC 5424 messages, RFC 5425 octet-counting framing); undefined = off. */
    syslog:
      | {
          host: string;
          port: number;
          /** `tls` (RFC 5425); `tcp` only outside production. */
          transport: 'tls' | 'tcp';
          /** Absolute paths; CA replaces the system trust store when given. */
          caFile: string | undefined;
          certFile: string | undefined;
          keyFile: string | undefined;
        }
      | undefined;
    /** HTTPS sink (newline-delimited JSON POSTs); undefined = off. */
    http: { url: string; token: string | undefined; caFile: string | undefined } | undefined;
  };
}

/** Thrown when the environment is invalid; names each bad variable, never its value. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

/**
 * Parses the environment into an {@link AppConfig}.
 * @param env usually `process.env`; only read here, never elsewhere.
 * @throws ConfigValidationError listing every invalid variable by name (values are never echoed).
 */
export function loadAppConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = ZEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        // Zod messages name the expected shape, not the received value.
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  const flag = (v: string | undefined, fallback: boolean) =>
    v === undefined ? fallback : v === 'true' || v === '1';
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    dataDir: abs(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    vault: { keyring: e.VAULT_KEYS, password: e.ENCRYPTION_PASSWORD, salt: e.ENCRYPTION_SALT },
    egress: {
      deny: e.EGRESS_DENY,
      allow: e.EGRESS_ALLOW,
      publicIps: e.PUBLIC_EGRESS_IPS,
      allowPrivate: flag(e.EGRESS_ALLOW_PRIVATE, true),
      allowLoopback: flag(e.EGRESS_ALLOW_LOOPBACK, e.NODE_ENV === 'development'),
    },
    datasources: {
      sqliteDir: abs(e.SQLITE_DATASOURCE_DIR ?? join(abs(e.DATA_DIR), 'sqlite-datasources')),
      poolMax: e.DATASOURCE_POOL_MAX,
      poolIdleMs: e.DATASOURCE_POOL_IDLE_MS,
      connectTimeoutMs: e.DATASOURCE_CONNECT_TIMEOUT_MS,
    },
    tls:
      e.TLS_CERT_FILE && e.TLS_KEY_FILE
        ? { certFile: abs(e.TLS_CERT_FILE), keyFile: abs(e.TLS_KEY_FILE) }
        : undefined,
    trustProxy: e.TRUST_PROXY,
    httpRedirectPort: e.HTTP_REDIRECT_PORT,
    corsOrigins: e.CORS_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    logLevel: e.LOG_LEVEL,
    webDistDir: abs(e.WEB_DIST_DIR ?? resolve(__dirname, '../../../web/dist')),
    serveWeb: e.SERVE_WEB || e.NODE_ENV === 'production',
    queryProxy: {
      defaultTimeoutMs: e.QUERY_TIMEOUT_MS,
      maxRows: e.QUERY_MAX_ROWS,
      maxBytes: e.QUERY_MAX_BYTES,
      maxConcurrentPerDatasource: e.QUERY_MAX_CONCURRENT_PER_DATASOURCE,
      queueMax: e.QUERY_QUEUE_MAX,
      queueWaitMs: e.QUERY_QUEUE_WAIT_MS,
    },
    loginLimits: {
      perAccount: e.LOGIN_LIMIT_PER_ACCOUNT,
      perAddress: e.LOGIN_LIMIT_PER_ADDRESS,
      windowMs: e.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    },
    appRevisionRetentionDays: e.APP_REVISION_RETENTION_DAYS,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    shutdown: { drainMs: e.SHUTDOWN_DRAIN_MS, inFlightLimitMs: 125_000 },
    adminPassword: e.BASTION_ADMIN_PASSWORD === '' ? undefined : e.BASTION_ADMIN_PASSWORD,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    audit: {
      runDurability: e.AUDIT_RUN_DURABILITY,
      syslog: e.AUDIT_SYSLOG_URL ? syslogSink(e.AUDIT_SYSLOG_URL) : undefined,
      http: e.AUDIT_HTTP_URL
        ? {
            url: e.AUDIT_HTTP_URL,
            token: e.AUDIT_HTTP_TOKEN,
            caFile: e.AUDIT_HTTP_CA_FILE ? abs(e.AUDIT_HTTP_CA_FILE) : undefined,
          }
        : undefined,
    },
  });

  function syslogSink(value: string): NonNullable<AppConfig['audit']['syslog']> {
    const url = new URL(value);
    return {
      // IPv6 literals come back bracketed from URL; net/tls want them bare.
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port),
      transport: url.protocol === 'tls:' ? 'tls' : 'tcp',
      caFile: e.AUDIT_SYSLOG_CA_FILE ? abs(e.AUDIT_SYSLOG_CA_FILE) : undefined,
      certFile: e.AUDIT_SYSLOG_CERT_FILE ? abs(e.AUDIT_SYSLOG_CERT_FILE) : undefined,
      keyFile: e.AUDIT_SYSLOG_KEY_FILE ? abs(e.AUDIT_SYSLOG_KEY_FILE) : undefined,
    };
  }
}
