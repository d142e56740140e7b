import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** True for `10.0.0.0/8`, `fd00::/8`, or a single address (`192.0.2.1`, `::1`). */
function isCidrOrAddress(entry: string): boolean {
  try {
    if (entry.includes('/')) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return true;
  } catch {
    return false;
  }
}

/**
 * Environment variables the server reads, parsed once at boot (see app-config.ts).
 * `sensitive` variables are never printed, also not in a validation error.
 */
export const SENSITIVE_ENV_VARS = [
  'DATABASE_URL',
  'VAULT_KEYS',
  'ENCRYPTION_PASSWORD',
  'ENCRYPTION_SALT',
  'BASTION_ADMIN_PASSWORD',
  'AUDIT_HTTP_TOKEN',
  'METRICS_TOKEN',
] as const;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** Fastify/proxy-addr names for address ranges, accepted in TRUST_PROXY lists. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** True for `true`, `false`, a hop count, or a comma list of IPs, CIDRs and range names. */
function isTrustProxyValue(value: string): boolean {
  if (value === 'true' || value === 'false' || /^\d+$/.test(value)) return true;
  return value.split(',').every((raw) => {
    const entry = raw.trim();
    return PROXY_RANGE_NAMES.has(entry) || isCidrOrAddress(entry);
  });
}

/** A browser origin: `scheme://host[:port]`, nothing after it (RFC 6454 serialization). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** `tls://host:port` or `tcp://host:port`, nothing else (the audit syslog sink). */
function isSyslogUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'tls:' || url.protocol === 'tcp:') &&
      url.hostname !== '' &&
      url.port !== '' &&
      url.username === '' &&
      url.password === '' &&
      (url.pathname === '' || url.pathname === '/') &&
      url.search === '' &&
      url.hash === ''
    );
  } catch {
    return false;
  }
}

/** An https:// URL with no userinfo (the audit HTTP sink). */
function isShipUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const ZEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
      'must be a postgres:// or postgresql:// URL',
    ),
    VAULT_KEYS: optionalString,
    ENCRYPTION_PASSWORD: optionalString,
    ENCRYPTION_SALT: optionalString,
    EGRESS_DENY: commaList,
    EGRESS_ALLOW: commaList,
    PUBLIC_EGRESS_IPS: commaList,
    EGRESS_ALLOW_PRIVATE: z.enum(['true', 'false', '1', '0']).optional(),
    EGRESS_ALLOW_LOOPBACK: z.enum(['true', 'false', '1', '0']).optional(),
    SQLITE_DATASOURCE_DIR: optionalString,
    DATASOURCE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
    DATASOURCE_POOL_IDLE_MS: z.coerce.number().int().min(1000).default(300_000),
    DATASOURCE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    TLS_CERT_FILE: optionalString,
    TLS_KEY_FILE: optionalString,
    TRUST_PROXY: optionalString.refine(
      (v) => v === undefined || isTrustProxyValue(v),
      'must be true, false, a hop count, or a comma list of IPs, CIDRs, loopback, linklocal, uniquelocal',
    ),
    HTTP_REDIRECT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    ALLOWED_HOSTS: commaList.refine(
      (list) =>
        list.every((h) =>
          /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(h),
        ),
      'must be a comma list of host names like bastion.internal (no scheme, port or path)',
    ),
    CORS_ORIGINS: commaList.refine(
      (list) => list.every((o) => o === '*' || isOrigin(o)),
      'must be a comma list of origins like https://app.example.com (scheme, host, optional port; no path)',
    ),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    WEB_DIST_DIR: optionalString,
    QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(30_000),
    QUERY_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    QUERY_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    QUERY_MAX_CONCURRENT_PER_DATASOURCE: z.coerce.number().int().min(1).max(1000).default(10),
    QUERY_QUEUE_MAX: z.coerce.number().int().min(0).max(100_000).default(200),
    QUERY_QUEUE_WAIT_MS: z.coerce.number().int().min(1).max(120_000).default(10_000),
    METRICS_TOKEN: optionalString.refine(
      (v) => v === undefined || (v.length >= 16 && /^\S+$/.test(v)),
      'must be at least 16 characters without spaces (e.g. openssl rand -hex 32)',
    ),
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
    SERVE_WEB: booleanFlag,
    /** Read only by the operator command `admin create` (never passed on the command line). */
    BASTION_ADMIN_PASSWORD: z.string().optional(),
    LOGIN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(10),
    LOGIN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(50),
    LOGIN_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    /** Days app revisions are kept (published ones and each app's latest are kept always). */
    APP_REVISION_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
    SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
    /** Bench only: `buffered` restores the old unsafe query-run batching (audit.service.ts). */
    AUDIT_RUN_DURABILITY: z.enum(['committed', 'buffered']).default('committed'),
    AUDIT_SYSLOG_URL: optionalString.refine(
      (v) => v === undefined || isSyslogUrl(v),
      'must be tls://host:port (RFC 5425; tcp://host:port for a trusted network, not in production)',
    ),
    AUDIT_SYSLOG_CA_FILE: optionalString,
    AUDIT_SYSLOG_CERT_FILE: optionalString,
    AUDIT_SYSLOG_KEY_FILE: optionalString,
    AUDIT_HTTP_URL: optionalString.refine(
      (v) => v === undefined || isShipUrl(v),
      'must be an https:// URL without user:password (give the token in AUDIT_HTTP_TOKEN)',
    ),
    AUDIT_HTTP_TOKEN: optionalString,
    AUDIT_HTTP_CA_FILE: optionalString,
  })
  .superRefine((env, ctx) => {
    for (const variable of ['EGRESS_DENY', 'EGRESS_ALLOW'] as const) {
      const bad = env[variable].find((entry) => !isCidrOrAddress(entry));
      if (bad !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'must be a comma-separated list of IP addresses or CIDR ranges',
        });
      }
    }
    if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'],
        message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      });
    }
    if (env.HTTP_REDIRECT_PORT !== undefined && env.TLS_CERT_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_REDIRECT_PORT'],
        message: 'only works with TLS on: set TLS_CERT_FILE and TLS_KEY_FILE, or unset it',
      });
    }
    if (env.HTTP_REDIRECT_PORT !== undefined && env.HTTP_REDIRECT_PORT === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_REDIRECT_PORT'],
        message: 'must differ from PORT',
      });
    }
    if ((env.AUDIT_SYSLOG_CERT_FILE === undefined) !== (env.AUDIT_SYSLOG_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [
          env.AUDIT_SYSLOG_CERT_FILE === undefined
            ? 'AUDIT_SYSLOG_CERT_FILE'
            : 'AUDIT_SYSLOG_KEY_FILE',
        ],
        message: 'AUDIT_SYSLOG_CERT_FILE and AUDIT_SYSLOG_KEY_FILE must be set together',
      });
    }
    const syslogOnly = ['AUDIT_SYSLOG_CA_FILE', 'AUDIT_SYSLOG_CERT_FILE'] as const;
    for (const variable of syslogOnly) {
      if (env[variable] !== undefined && env.AUDIT_SYSLOG_URL === undefined) {
        ctx.addIssue({ code: 'custom', path: [variable], message: 'needs AUDIT_SYSLOG_URL' });
      }
    }
    if (env.AUDIT_SYSLOG_URL?.startsWith('tcp://') && env.NODE_ENV === 'production') {
      ctx.addIssue({
        code: 'custom',
        path: ['AUDIT_SYSLOG_URL'],
        message: 'plain tcp:// is refused in production: use tls://host:port (RFC 5425)',
      });
    }
    for (const variable of ['AUDIT_HTTP_TOKEN', 'AUDIT_HTTP_CA_FILE'] as const) {
      if (env[variable] !== undefined && env.AUDIT_HTTP_URL === undefined) {
        ctx.addIssue({ code: 'custom', path: [variable], message: 'needs AUDIT_HTTP_URL' });
      }
    }
    if (env.AUDIT_HTTP_TOKEN !== undefined && !/^[\x21-\x7e]+$/.test(env.AUDIT_HTTP_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUDIT_HTTP_TOKEN'],
        message: 'must be printable ASCII without spaces (it is sent as a bearer token)',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
    if ((env.ENCRYPTION_PASSWORD === undefined) !== (env.ENCRYPTION_SALT === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.ENCRYPTION_PASSWORD === undefined ? 'ENCRYPTION_PASSWORD' : 'ENCRYPTION_SALT'],
        message: 'ENCRYPTION_PASSWORD and ENCRYPTION_SALT must be set together',
      });
    }
  });

export type TEnv = z.infer<typeof ZEnvSchema>;
