import type { FieldDef } from 'pg';
import type { ResultColumn, RunLimits, RunResult } from '../datasources/connectors/connector';
import { decodePgText, PG_TYPE_NAMES, RowCollector, uniqueColumnNames } from './result-encoding';

/** The parts of pg's `Connection` (pg/lib/connection.js) a submittable writes to. */
export interface PgWireConnection {
  parse(query: { text: string; name?: string }): void;
  bind(config: {
    portal?: string;
    statement?: string;
    values?: unknown[];
    valueMapper?: (value: unknown) => unknown;
  }): void;
  describe(message: { type: 'P' | 'S'; name?: string }): void;
  execute(config: { portal?: string; rows?: number }): void;
  flush(): void;
  sync(): void;
  sendCopyFail(message: string): void;
  prependOnceListener(
    event: 'readyForQuery',
    listener: (message: { status: string }) => void,
  ): void;
  prependListener(
    event: 'parameterStatus',
    listener: (message: { parameterName: string }) => void,
  ): void;
  removeListener(
    event: 'parameterStatus',
    listener: (message: { parameterName: string }) => void,
  ): void;
  stream: { cork?: () => void; uncork?: () => void };
}

/**
 * Session settings for one run, set with `set_config(name, value, is_local => true)`: like
 * `SET LOCAL`, each lasts only until the end of the current transaction (PostgreSQL docs,
 * "System Administration Functions", set_config), so a pooled server never keeps them.
 * $1 is the statement timeout in milliseconds.
 */
const RUN_SETTINGS_SQL =
  "SELECT set_config('statement_timeout', $1, true), set_config('TimeZone', 'UTC', true), " +
  "set_config('bytea_output', 'hex', true), set_config('DateStyle', 'ISO, YMD', true), " +
  // Output formats a session SET by an earlier run could otherwise change (lossless encoding).
  "set_config('extra_float_digits', '1', true), set_config('IntervalStyle', 'postgres', true)";

/**
 * Session state a statement can leave behind for the next run on the pooled connection, undone
 * in the run's own transaction, after the statement (after a failed statement the server skips
 * these, and the executor sends `DISCARD ALL` instead: postgres-executor.ts): every `SET` and `set_config(..., false)` (`search_path`, `work_mem`,
 * ...; RESET ALL restores each to its value at connection start), `SET ROLE` (not covered by
 * RESET ALL), session advisory locks, temporary tables, which would otherwise shadow a table
 * of the same name for later runs, cursors (`WITH HOLD`) and prepared statements, through
 * which a later run could read another's results, listens and sequence state (`lastval`) (PostgreSQL docs, RESET, SET ROLE, DISCARD, "Advisory
 * Lock Functions"). `DISCARD ALL` would cover more but cannot run in a transaction block.
 */
const SESSION_RESET_SQL = [
  'RESET ALL',
  "SELECT set_config('role', 'none', false), pg_advisory_unlock_all()",
  'DISCARD TEMP',
  'CLOSE ALL',
  'DEALLOCATE ALL',
  'UNLISTEN *',
  'DISCARD SEQUENCES',
];

/**
 * Reported parameters (ParameterStatus) our own settings change and revert. Any other report
 * during a run means the statement changed the session for later runs (`SET client_encoding`,
 * `SET default_transaction_read_only`, `SET SESSION AUTHORIZATION`, ...): that connection is
 * destroyed after the run (PostgreSQL docs, "Message Flow", Asynchronous Operations).
 */
const OWN_REPORTED_SETTINGS = new Set(['TimeZone', 'DateStyle', 'IntervalStyle']);

type Phase = 'settings' | 'statement' | 'reset' | 'done';

/**
 * A bind value in the text format. Values are null, boolean, number or string
 * (query-params.ts toDriverValue); anything else is sent as JSON text.
 */
const toWireText = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

/** A statement kind the query proxy does not run (SQLSTATE 0A000, feature_not_supported). */
const notSupported = (what: string) =>
  Object.assign(new Error(`${what} is not supported by the query proxy`), { code: '0A000' });

/** An error raised by the client side of a run (never a database message). */
const localError = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * One query-proxy run on a pg `Client`, written as a pg "submittable" (the interface
 * `client.query(submittable)` accepts; pg-cursor and pg-query-stream use the same one).
 *
 * Wire protocol (PostgreSQL docs, "Message Flow", Extended Query and Pipelining): one write
 * carries Parse/Bind/Execute of {@link RUN_SETTINGS_SQL}, then Parse/Bind/Describe/Execute of
 * the statement, asking for at most `maxRows + 1` rows, then {@link SESSION_RESET_SQL}, and a
 * Sync. With no Sync between them, all run in one implicit transaction, so the settings apply
 * to the statement and end with it; the Sync ends that transaction (committing a data-modifying statement) and its
 * ReadyForQuery settles the run. So a run costs one round trip, where `BEGIN; SET LOCAL ...`,
 * a cursor and `COMMIT` cost five.
 *
 * Rows are decoded one at a time as they arrive and kept only up to the caps. The row cap is
 * enforced by the server (Execute's row limit; the extra row tells "truncated" apart from
 * "exactly maxRows", and a PortalSuspended means more rows were left unsent). When the byte
 * cap is reached first, up to `maxRows` rows may still be on the way: they are read and
 * dropped up to one more byte cap of data; beyond that the run settles at once with what it
 * has and the connection is destroyed rather than read to its end.
 *
 * The statement timeout runs from the statement's Parse (PostgreSQL starts a fresh statement
 * timeout for each protocol message after an Execute completes). It does not cover work done
 * at commit (deferred triggers; the statement timeout is reset with the session) nor a statement that turns its own
 * timeout off (a function calling `set_config`): for those the
 * executor's backstop cancels the backend at timeout + 2 s (postgres-executor.ts).
 *
 * Settles `promise` with the encoded result, or rejects with the database's error (it has a
 * SQLSTATE `code`), a lost connection (`code` ECONNRESET) or a client-side decode error.
 */
export class PostgresPipelinedRun {
  readonly promise: Promise<RunResult>;
  /** False once the connection's state is unknown (lost socket, protocol surprise). */
  healthy = true;
  private resolve!: (result: RunResult) => void;
  private reject!: (error: unknown) => void;
  private phase: Phase = 'settings';
  private connection: PgWireConnection | undefined;
  private readonly collector: RowCollector;
  private columns: ResultColumn[] = [];
  private names: string[] = [];
  private oids: number[] = [];
  /** Set once the caps are reached: rows still arriving in the batch are dropped. */
  private capped = false;
  /**
   * Rows still arriving after the byte cap are read and dropped while they add up to at most
   * one more byte cap (then the connection is dropped instead): a result slightly over the cap
   * keeps its pooled connection, a huge one does not cost a huge transfer.
   */
  private drainBudget = 0;
  private failure: unknown;
  private transactionStatus: string | undefined;
  private readonly onParameterStatus = (message: { parameterName: string }) => {
    if (!OWN_REPORTED_SETTINGS.has(message.parameterName)) this.healthy = false;
  };

  constructor(
    private readonly text: string,
    private readonly values: unknown[],
    private readonly limits: RunLimits,
  ) {
    this.collector = new RowCollector(limits.maxRows, limits.maxBytes);
    this.promise = new Promise<RunResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Called by pg's Client when the connection is free: writes the whole pipeline at once. */
  submit(connection: PgWireConnection): Error | null {
    this.connection = connection;
    // ReadyForQuery carries the session's transaction status; pg's Client does not pass it on,
    // so read it before the Client's own listener settles the run.
    connection.prependOnceListener('readyForQuery', (message) => {
      this.transactionStatus = message.status;
      connection.removeListener('parameterStatus', this.onParameterStatus);
    });
    connection.prependListener('parameterStatus', this.onParameterStatus);
    const timeoutMs = String(Math.max(1, Math.floor(this.limits.timeoutMs)));
    // Writes go out as one packet (Node docs, writable.cork()).
    connection.stream.cork?.();
    try {
      connection.parse({ text: RUN_SETTINGS_SQL });
      connection.bind({ values: [timeoutMs] });
      connection.execute({ rows: 0 });
      connection.parse({ text: this.text });
      connection.bind({ values: this.values, valueMapper: toWireText });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ rows: this.limits.maxRows + 1 });
      for (const text of SESSION_RESET_SQL) {
        connection.parse({ text });
        connection.bind({});
        connection.execute({ rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: FieldDef[] }): void {
    this.names = uniqueColumnNames(message.fields.map((f) => f.name));
    this.oids = message.fields.map((f) => f.dataTypeID);
    this.columns = message.fields.map((f, i) => ({
      name: this.names[i],
      type: PG_TYPE_NAMES[f.dataTypeID] ?? `oid:${f.dataTypeID}`,
    }));
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    // The settings statement's one row, and rows past the caps, are not kept.
    if (this.phase !== 'statement') return;
    if (this.capped) {
      if (this.drainBudget <= 0) return;
      for (const v of message.fields) this.drainBudget -= v === null ? 1 : v.length + 1;
      if (this.drainBudget <= 0) this.cutOversized();
      return;
    }
    try {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < this.names.length; i++) {
        const v = message.fields[i];
        row[this.names[i]] = v === null ? null : decodePgText(this.oids[i], v);
      }
      if (!this.collector.add(row)) {
        this.capped = true;
        // The byte cap, not the row cap (which the server enforces): drain a bounded amount.
        if (this.collector.rows.length < this.limits.maxRows) {
          this.drainBudget = this.limits.maxBytes;
        }
      }
    } catch (error) {
      this.failure ??= error;
      this.capped = true;
    }
  }

  /** More rows than Execute asked for: the run is cut at the row cap (the next Bind closes it). */
  handlePortalSuspended(): void {
    this.collector.truncated = true;
    this.phase = 'reset';
  }

  handleCommandComplete(): void {
    if (this.phase === 'settings') this.phase = 'statement';
    else if (this.phase === 'statement') this.phase = 'reset';
  }

  /** A statement that is only comments or blanks answers EmptyQueryResponse. */
  handleEmptyQuery(): void {
    this.phase = 'reset';
  }

  handleReadyForQuery(): void {
    if (this.phase === 'done') return; // already settled (cut at the byte cap)
    this.phase = 'done';
    // 'I' is idle. A statement such as BEGIN leaves the session inside a transaction ('T', or
    // 'E' failed) after our Sync: that connection must not serve another run (its statements
    // would join this transaction), so it is destroyed, which rolls the transaction back.
    if (this.transactionStatus !== 'I') this.healthy = false;
    if (this.failure !== undefined) {
      this.reject(this.failure);
      return;
    }
    this.resolve({
      columns: this.columns,
      rows: this.collector.rows,
      rowCount: this.collector.rows.length,
      truncated: this.collector.truncated,
    });
  }

  /**
   * A database error (ErrorResponse: the server skips to our Sync, then sends ReadyForQuery,
   * which pg's Client consumes after detaching this run) or a lost connection. Settles at once.
   */
  handleError(error: unknown): void {
    if (this.phase === 'done') return;
    const code = (error as { code?: unknown } | null)?.code;
    const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
    // Only a statement error leaves a live session: class 08 and 57P (shutdown, crash) end it.
    const sessionLives = sqlState && !/^(08|57P)/.test(code);
    // The server skips to our Sync and answers ReadyForQuery, which pg's Client consumes.
    if (!sessionLives) this.healthy = false;
    this.phase = 'done';
    this.connection?.removeListener('parameterStatus', this.onParameterStatus);
    if (this.failure !== undefined) {
      this.reject(this.failure); // our own reason (COPY refused) beats the server's 57014
      return;
    }
    this.reject(
      sqlState
        ? error
        : localError(
            (error as { message?: string } | null)?.message ?? 'connection lost',
            'ECONNRESET',
          ),
    );
  }

  /** COPY is not a query-proxy statement: refuse it so the server ends the copy. */
  handleCopyInResponse(connection: PgWireConnection): void {
    // The server answers our CopyFail with 57014 (query_canceled), which is not a timeout.
    this.failure ??= notSupported('COPY');
    connection.sendCopyFail('COPY is not supported by the query proxy');
    // In copy-in mode the server ignores Sync (PostgreSQL docs, "COPY Operations"): the one
    // already sent was dropped, so the error after CopyFail needs a new one.
    connection.sync();
  }

  /** COPY ... TO STDOUT: the data is dropped and the run fails as "feature not supported". */
  handleCopyData(): void {
    // The output is not read, but the COPY itself ran and commits with the run (the Sync is
    // already sent): `COPY (DELETE ... RETURNING ...) TO STDOUT` has deleted. Say so.
    this.failure ??= Object.assign(
      new Error(
        'COPY is not supported by the query proxy; use SELECT. The statement inside COPY (...) TO STDOUT has still run',
      ),
      { code: '0A000' },
    );
  }

  /**
   * A backend message larger than any result could hold (postgres-message-guard.ts): the
   * connection is destroyed before that message is buffered, and the run answers the rows it
   * has, marked truncated, like any run cut at the byte cap.
   */
  cutOversized(): void {
    this.healthy = false;
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.connection?.removeListener('parameterStatus', this.onParameterStatus);
    this.resolve({
      columns: this.columns,
      rows: this.collector.rows,
      rowCount: this.collector.rows.length,
      truncated: true,
    });
  }

  /** Gives up on a connection that stopped answering: the run settles now, the socket is dropped. */
  abandon(error: Error): void {
    this.healthy = false;
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.reject(error);
  }
}
