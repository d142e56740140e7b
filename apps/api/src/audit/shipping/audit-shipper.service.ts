import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { redactText } from '../../common/logging/redact-text';
import { AuditSinkCursorRepository } from '../audit-sink-cursor.repository';
import { AuditRepository } from '../audit.repository';
import { AuditService } from '../audit.service';
import { AuditHttpSink } from './audit-http-sink';
import type { AuditSink } from './audit-sink';
import { toShippedEntry } from './audit-ship-format';
import { AuditSyslogSink } from './audit-syslog-sink';

/** Entries per batch (one syslog write or one HTTP POST). */
export const SHIP_BATCH = 500;
/** With nothing new, look again this often (ms): entries of other replicas arrive this way. */
export const SHIP_POLL_MS = 500;
/** A sink's lease runs this long (ms) and is renewed every third of it while shipping. */
export const SHIP_LEASE_MS = 15_000;
/** Retry backoff after a failure: doubles from the first to the last value (ms). */
export const SHIP_BACKOFF_MS = { first: 500, max: 30_000 };
/** At shutdown, how long (ms) a batch in a receiver's hands is waited for before it is dropped. */
export const SHUTDOWN_SEND_WAIT_MS = 3_000;

interface SinkState {
  sink: AuditSink;
  /** Sent through this sequence (the next batch starts after it). */
  position: number;
  /** The cursor stored in the metadata store. */
  persisted: number;
  leased: boolean;
  renewAt: number;
  failures: number;
  lastError: string | null;
  loop: Promise<void> | null;
}

/** What {@link AuditShipperService.status} reports per sink (for metrics: audit shipping lag). */
export interface AuditSinkStatus {
  sink: string;
  /** Whether this replica ships to it now (one replica holds each sink's lease). */
  active: boolean;
  /** Last sequence sent / stored as delivered by this replica. */
  sentThrough: number;
  deliveredThrough: number;
  /** Consecutive failures (0 when the last attempt worked) and the last error's text. */
  failures: number;
  lastError: string | null;
}

/**
 * Streams the audit chain to the operator's SIEM sinks (README.md in the audit folder,
 * "Streaming to a SIEM"): syslog over TLS (RFC 5424/5425) and NDJSON over HTTPS. Per sink, at
 * least once and in sequence order from a cursor persisted in the metadata store, so a receiver
 * outage or a restart loses nothing; one replica ships per sink (a lease on the cursor row).
 * Runs in the server only (not in CLI commands), and only for configured sinks.
 */
@Injectable()
export class AuditShipperService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditShipper');
  private readonly holder = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly states: SinkState[] = [];
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly events: AuditRepository,
    private readonly cursors: AuditSinkCursorRepository,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Builds the configured sinks (reading their certificate files: a missing or unreadable file
   * stops the boot, naming the variable) and starts one shipping loop per sink.
   */
  onApplicationBootstrap(): void {
    // An application context without HTTP (CLI commands) ships nothing.
    if (!this.adapterHost?.httpAdapter) return;
    const { syslog, http } = this.config.audit;
    if (syslog) {
      this.add(
        new AuditSyslogSink({
          host: syslog.host,
          port: syslog.port,
          transport: syslog.transport,
          ca: readConfigFile('AUDIT_SYSLOG_CA_FILE', syslog.caFile),
          cert: readConfigFile('AUDIT_SYSLOG_CERT_FILE', syslog.certFile),
          key: readConfigFile('AUDIT_SYSLOG_KEY_FILE', syslog.keyFile),
        }),
      );
    }
    if (http) {
      this.add(
        new AuditHttpSink(
          new URL(http.url),
          http.token,
          readConfigFile('AUDIT_HTTP_CA_FILE', http.caFile),
        ),
      );
    }
    if (this.states.length === 0) return;
    this.unsubscribe = this.audit.onCommitted(() => this.wake());
    for (const state of this.states) state.loop = this.run(state);
    this.logger.log(`shipping audit entries to ${this.states.map((s) => s.sink.name).join(', ')}`);
  }

  /** Stops the loops after their current batch, gives the leases up and closes connections. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.wake();
    const loops = Promise.all(this.states.map((s) => s.loop ?? Promise.resolve()));
    // A batch still in a sink's hands gets a short while; then its connection is dropped so the
    // shutdown (and the audit flush after it) is not held by a slow receiver. The cursor keeps
    // what was delivered: the rest is sent again after the restart (at least once).
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      loops.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), SHUTDOWN_SEND_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (gaveUp) {
      this.logger.warn('a receiver did not take its batch in time at shutdown; sent again later');
      for (const state of this.states) state.sink.reset();
      await loops;
    }
    for (const state of this.states) {
      await this.persist(state).catch(() => undefined);
      if (state.leased)
        await this.cursors.release(state.sink.name, this.holder).catch(() => undefined);
      await state.sink.close();
    }
  }

  /** Each configured sink's progress on this replica (for metrics and tests). */
  status(): AuditSinkStatus[] {
    return this.states.map((s) => ({
      sink: s.sink.name,
      active: s.leased,
      sentThrough: s.position,
      deliveredThrough: s.persisted,
      failures: s.failures,
      lastError: s.lastError,
    }));
  }

  private add(sink: AuditSink): void {
    this.states.push({
      sink,
      position: 0,
      persisted: 0,
      leased: false,
      renewAt: 0,
      failures: 0,
      lastError: null,
      loop: null,
    });
  }

  private async run(state: SinkState): Promise<void> {
    const name = state.sink.name;
    while (!this.stopped) {
      try {
        if (!(await this.holdLease(state))) {
          await this.idle(SHIP_LEASE_MS / 3);
          continue;
        }
        await this.persist(state);
        const page = await this.events.chainPage(state.position, SHIP_BATCH);
        if (page.length === 0) {
          await this.idle(SHIP_POLL_MS);
          continue;
        }
        if (page[0].sequence !== state.position + 1 && state.position > 0) {
          this.logger.warn(
            `${name}: entries ${state.position + 1}-${page[0].sequence - 1} were pruned before they were shipped`,
          );
        }
        await state.sink.send(page.map(toShippedEntry));
        state.position = page[page.length - 1].sequence;
        if (state.failures > 0)
          this.logger.log(`${name}: shipping again after ${state.failures} failed attempts`);
        state.failures = 0;
        state.lastError = null;
      } catch (error) {
        // Send again from what the receiver is known to have: at least once, in order.
        state.position = Math.max(state.persisted, state.sink.confirmedThrough());
        state.sink.reset();
        state.failures += 1;
        state.lastError = redactText(error instanceof Error ? error.message : String(error));
        if (state.failures === 1 || state.failures % 20 === 0) {
          this.logger.warn(
            `${name}: shipping failed (${state.failures}x), retrying from entry ${state.position + 1}: ${state.lastError}`,
          );
        }
        const backoff = Math.min(
          SHIP_BACKOFF_MS.first * 2 ** Math.min(state.failures - 1, 10),
          SHIP_BACKOFF_MS.max,
        );
        await this.sleep(backoff);
      }
    }
  }

  /** Takes or renews the sink's lease when due; false when another replica holds it. */
  private async holdLease(state: SinkState): Promise<boolean> {
    const now = Date.now();
    if (state.leased && now < state.renewAt) return true;
    const name = state.sink.name;
    await this.cursors.ensure(name);
    const cursor = await this.cursors.acquire(name, this.holder, now, now + SHIP_LEASE_MS);
    if (cursor === null) {
      if (state.leased) this.logger.warn(`${name}: lease lost; another replica ships now`);
      state.leased = false;
      return false;
    }
    if (!state.leased) {
      // Fresh lease: start after the stored cursor (another replica may have moved it).
      state.position = cursor;
      state.persisted = cursor;
      state.sink.reset();
    }
    state.leased = true;
    state.renewAt = now + SHIP_LEASE_MS / 3;
    return true;
  }

  /** Stores the delivered sequence (fenced by the lease). */
  private async persist(state: SinkState): Promise<void> {
    if (!state.leased) return;
    const delivered = Math.min(state.sink.confirmedThrough(), state.position);
    if (delivered <= state.persisted) return;
    const now = Date.now();
    if (await this.cursors.advance(state.sink.name, this.holder, delivered, now + SHIP_LEASE_MS)) {
      state.persisted = delivered;
      state.renewAt = now + SHIP_LEASE_MS / 3;
    } else {
      state.leased = false;
    }
  }

  /** Waits `ms`, or less when an entry is committed in this process or shutdown begins. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Waits `ms` (backoff); only shutdown cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const check = setInterval(() => {
        if (this.stopped) {
          clearTimeout(timer);
          clearInterval(check);
          resolve();
        }
      }, 100);
      setTimeout(() => clearInterval(check), ms + 1);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Reads a file named by a config variable; the error names the variable (boot fails). */
function readConfigFile(variable: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new Error(`${variable}: cannot read the file (${code})`);
  }
}
