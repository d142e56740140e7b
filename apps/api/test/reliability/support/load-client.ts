import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The figures of one autocannon run that the reliability tests assert on. */
export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Mean requests per second. */
  rps: number;
  /** Count per status code class, e.g. `{ '2xx': 1000 }`. */
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Per-request timeout, s (autocannon counts a slower answer as an error). */
  timeoutSeconds?: number;
}

/**
 * Runs autocannon 8 in a second Node process (so the load generator does not share the API's
 * event loop), loopback only, bounded by `durationSeconds`. Resolves with its summary.
 * @throws Error when the child fails or prints no result.
 */
export function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const script = `
    const autocannon = require('autocannon');
    const opts = JSON.parse(process.argv[1]);
    autocannon({
      url: opts.url, method: opts.method, headers: opts.headers, body: opts.body,
      connections: opts.connections, duration: opts.durationSeconds,
      timeout: opts.timeoutSeconds ?? 10, pipelining: 1,
    }, (err, r) => {
      if (err) { process.stderr.write(String(err)); process.exit(1); }
      process.stdout.write(JSON.stringify({
        requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
        p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, rps: r.requests.average,
        statusCodes: { '1xx': r['1xx'], '2xx': r['2xx'], '3xx': r['3xx'], '4xx': r['4xx'], '5xx': r['5xx'] },
      }));
    });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(options)], {
      // autocannon is a devDependency of the API package: resolve it from there.
      cwd: join(__dirname, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0 || !out) reject(new Error(`autocannon exited ${code}: ${err.slice(0, 500)}`));
      else resolve(JSON.parse(out) as LoadResult);
    });
  });
}
