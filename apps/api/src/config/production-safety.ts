import type { AppConfig } from './app-config';

/**
 * Database passwords that appear in our docs and examples (`.env.example`) or that people type
 * when "just testing". A production server refuses a `DATABASE_URL` holding one of them.
 */
export const EXAMPLE_DATABASE_PASSWORDS: readonly string[] = [
  'replace-with-a-long-random-password',
  'postgres',
  'password',
  'changeme',
  'change-me',
  'bastion',
  'secret',
];

/** One reason the server refuses to start in production: the variable and how to fix it. */
export interface ProductionProblem {
  variable: string;
  message: string;
}

/** Thrown by {@link assertProductionSafe}; lists every problem, never a value. */
export class ProductionSafetyError extends Error {
  constructor(readonly problems: ProductionProblem[]) {
    super(
      'Refusing to start with NODE_ENV=production:\n' +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ProductionSafetyError';
  }
}

/** The password of a postgres:// URL, or undefined (unparseable URLs are the schema's job). */
function databasePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return undefined;
  }
}

/**
 * The settings that make a production server unsafe to run (the vault key checks are the
 * credential vault's, at boot: `keyring-loader.ts`). Rules:
 * - Transport: neither TLS (`TLS_CERT_FILE` + `TLS_KEY_FILE`) nor `TRUST_PROXY` (a TLS-
 *   terminating proxy in front) means browsers talk plain HTTP to us: session cookies would
 *   go without `Secure` and there would be no HSTS (OWASP Session Management Cheat Sheet,
 *   "Secure Attribute"; RFC 6797). Refused whatever `HOST` is: a proxy on the same host
 *   still needs `TRUST_PROXY` for us to see that the browser used HTTPS.
 * - CORS: `*` would let any site read responses (the Fetch standard forbids `*` with
 *   credentials; reflecting every origin would be worse); `http://` origins can be
 *   impersonated on the network. Both refused (OWASP HTML5 Security Cheat Sheet, CORS).
 * - `DATABASE_URL` with a documented or trivial password ({@link EXAMPLE_DATABASE_PASSWORDS}).
 * Outside production nothing is refused.
 * @returns every problem, each naming its variable and the fix; [] when the config is safe.
 *   Messages never contain a configured value.
 */
export function findProductionProblems(config: AppConfig): ProductionProblem[] {
  if (!config.isProduction) return [];
  const problems: ProductionProblem[] = [];
  if (!config.tls && !config.trustProxy) {
    problems.push({
      variable: 'TLS_CERT_FILE/TRUST_PROXY',
      message:
        'neither TLS nor a trusted reverse proxy is configured, so session cookies would be sent ' +
        'without Secure over plain HTTP. Fix: set TLS_CERT_FILE and TLS_KEY_FILE to serve HTTPS, ' +
        'or run behind a TLS-terminating reverse proxy and set TRUST_PROXY to its address ' +
        '(e.g. 127.0.0.1, 10.0.0.0/8, uniquelocal) or hop count.',
    });
  }
  if (config.corsOrigins.includes('*')) {
    problems.push({
      variable: 'CORS_ORIGINS',
      message:
        'is open to any origin (*). Fix: list the exact https:// origins that may call the API, ' +
        'or unset CORS_ORIGINS (the web app is served same-origin and needs no CORS).',
    });
  } else if (config.corsOrigins.some((o) => o.startsWith('http://'))) {
    problems.push({
      variable: 'CORS_ORIGINS',
      message: 'lists an http:// origin. Fix: allow only https:// origins in production.',
    });
  }
  const dbPassword = config.databaseUrl ? databasePassword(config.databaseUrl) : undefined;
  if (dbPassword !== undefined && EXAMPLE_DATABASE_PASSWORDS.includes(dbPassword.toLowerCase())) {
    problems.push({
      variable: 'DATABASE_URL',
      message:
        'uses an example or trivial database password. Fix: set a long random password on the ' +
        'database user (e.g. `openssl rand -hex 24`) and put it in DATABASE_URL ' +
        '(POSTGRES_PASSWORD in the compose .env).',
    });
  }
  return problems;
}

/**
 * Run at boot (main.ts) before anything listens.
 * @throws ProductionSafetyError when NODE_ENV=production and {@link findProductionProblems}
 *   finds anything.
 */
export function assertProductionSafe(config: AppConfig): void {
  const problems = findProductionProblems(config);
  if (problems.length > 0) throw new ProductionSafetyError(problems);
}
