import type { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { DrainState } from './drain-state';

/**
 * Counts requests in flight and, once draining, adds `Connection: close` to every answer, so
 * a keep-alive client (or a load balancer's pooled connection) opens its next request on a
 * new connection, which the balancer sends to a ready replica. Register before `app.init()`.
 */
export function registerDrainHooks(fastify: FastifyInstance, state: DrainState): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    state.requestStarted();
    // 'close' fires once per response, after it was sent or when the client went away.
    reply.raw.once('close', () => state.requestEnded());
    if (state.draining) void reply.header('connection', 'close');
    done();
  });
  fastify.addHook('onSend', (_request, reply, _payload, done) => {
    // A request that began before the drain but is answered during it closes too.
    if (state.draining) void reply.header('connection', 'close');
    done();
  });
}

export interface GracefulDrainOptions {
  /** `SHUTDOWN_DRAIN_MS`: how long to keep answering (as not-ready) after the signal, ms. */
  drainMs: number;
  /** Longest wait for requests still in flight after the drain, ms (the longest run + grace). */
  inFlightLimitMs: number;
  logger: Pick<Logger, 'log' | 'warn' | 'error'>;
  /** Exits the process; `process.exit` outside tests. */
  exit?: (code: number) => void;
}

/** A second signal this soon (ms) after the first is the same stop delivered twice. */
export const REPEATED_SIGNAL_WINDOW_MS = 1_000;

/**
 * Graceful shutdown on SIGTERM and SIGINT (instead of Nest's immediate close):
 * 1. draining: `GET /api/health/ready` answers 503 and every answer carries
 *    `Connection: close`, while the listener keeps accepting and answering for `drainMs`, so
 *    the load balancer sees the replica go unready and moves traffic before anything is refused;
 * 2. waits (up to `inFlightLimitMs`) for requests still in flight: runs finish within their
 *    own timeout;
 * 3. `app.close()`: Nest's shutdown hooks (the audit buffer is flushed while the metadata
 *    database is still open), then the listener is closed and the database connections end;
 * 4. exits 0 (1 when closing failed). A second signal during the drain exits at once (1),
 *    unless it comes within {@link REPEATED_SIGNAL_WINDOW_MS} of the first (the same stop
 *    delivered twice, to the process group and by a parent that forwards it).
 * @returns a function that starts the same sequence (for tests).
 */
export function installGracefulDrain(
  app: NestFastifyApplication,
  options: GracefulDrainOptions,
): () => Promise<void> {
  const state = app.get(DrainState);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | null = null;
  const drain = async (): Promise<void> => {
    state.startDraining();
    options.logger.log(
      `Shutting down: not ready, answering for ${options.drainMs} ms, then closing`,
    );
    await new Promise((resolve) => setTimeout(resolve, options.drainMs));
    const idle = await state.whenIdle(options.inFlightLimitMs);
    if (!idle) {
      options.logger.warn(`Closing with ${state.inFlight} requests still in flight`);
    }
    try {
      await app.close();
      exit(0);
    } catch (error) {
      options.logger.error(
        `Shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      exit(1);
    }
  };
  let startedAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (running && Date.now() - startedAt < REPEATED_SIGNAL_WINDOW_MS) {
      // The same stop delivered twice: to the process group (Ctrl+C, systemd) and forwarded by
      // a parent such as scripts/start.mjs. Not a request to hurry (newcomer check).
      return;
    }
    if (running) {
      options.logger.warn(`${signal} again during the drain: exiting now`);
      exit(1);
      return;
    }
    startedAt = Date.now();
    running = drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => (running ??= drain());
}
