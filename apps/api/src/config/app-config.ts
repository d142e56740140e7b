import { isAbsolute, resolve } from 'node:path';
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
  egress: { deny: string[]; allow: string[]; publicIps: string[] };
  tls: { certFile: string; keyFile: string } | undefined;
  trustProxy: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Folder of the built web app, served by the API when `serveWeb` is on. */
  webDistDir: string;
  serveWeb: boolean;
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
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    dataDir: abs(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    vault: { keyring: e.VAULT_KEYS, password: e.ENCRYPTION_PASSWORD, salt: e.ENCRYPTION_SALT },
    egress: { deny: e.EGRESS_DENY, allow: e.EGRESS_ALLOW, publicIps: e.PUBLIC_EGRESS_IPS },
    tls:
      e.TLS_CERT_FILE && e.TLS_KEY_FILE
        ? { certFile: abs(e.TLS_CERT_FILE), keyFile: abs(e.TLS_KEY_FILE) }
        : undefined,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    webDistDir: abs(e.WEB_DIST_DIR ?? resolve(__dirname, '../../../web/dist')),
    serveWeb: e.SERVE_WEB || e.NODE_ENV === 'production',
  });
}
