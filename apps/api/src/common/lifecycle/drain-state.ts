import { Injectable } from '@nestjs/common';

/**
 * Whether this process is draining (a shutdown began) and how many HTTP requests are in
 * flight. One per application (a Nest provider of the health module), read by the readiness
 * check and the `Connection: close` hook, written by {@link installGracefulDrain}.
 */
@Injectable()
export class DrainState {
  private drainingSince: number | null = null;
  private inFlightRequests = 0;
  private readonly idleWaiters = new Set<() => void>();

  /** True once {@link startDraining} was called. */
  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /** HTTP requests received and not yet answered. */
  get inFlight(): number {
    return this.inFlightRequests;
  }

  /** Marks the process as draining (idempotent). */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  /** Counts a request in (Fastify `onRequest`). */
  requestStarted(): void {
    this.inFlightRequests += 1;
  }

  /** Counts a request out (its response closed: sent, or the client went away). */
  requestEnded(): void {
    this.inFlightRequests = Math.max(0, this.inFlightRequests - 1);
    if (this.inFlightRequests === 0) {
      for (const wake of this.idleWaiters) wake();
      this.idleWaiters.clear();
    }
  }

  /**
   * Resolves `true` once no request is in flight, or `false` after `timeoutMs` ms.
   */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlightRequests === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(wake);
    });
  }
}
