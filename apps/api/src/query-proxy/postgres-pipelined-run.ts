import type { FieldDef } from 'pg';
import type { ResultColumn, RunLimits, RunResult } from '../datasources/connectors/connector';
import { decodePgText, PG_TYPE_NAMES, RowCollector, uniqueColumnNames } from './result-encoding';

/** The parts of pg's `Connection` (pg/lib/connection.js) a submittable writes to. */
export interface PgWireConnection {
  parse(query: { text: string; name?: string; types?: number[] }): void;
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
 * Session state an earlier run may have left on the pooled connection, undone at the start of
 * every run, in its transaction and before its settings and statement: every `SET` and
 * `set_config(..., false)` (`search_path`, `work_mem`, ...; RESET ALL restores each to its value
 * at connection start), `SET ROLE` (not covered by RESET ALL), session advisory locks, temporary
 * tables, which would otherwise shadow a table of the same name, cursors (`WITH HOLD`) and
 * prepared statements, through which a run could read another's results, listens and sequence
 * state (`lastval`) (PostgreSQL docs, RESET, SET ROLE, DISCARD, "Advisory Lock Functions").
 * `DISCARD ALL` would cover more but cannot run in a transaction block; the executor sends it
 * after a failed run, so that such a connection does not idle with a lock either.
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

/** Rows asked for per Execute: bounds what one batch can hold in memory. */
const BATCH_ROWS = 200;

type Phase = 'settings' | 'statement' | 'syncing' | 'done';

/**
 * A bind value in the text format. Values are null, boolean, number, bigint (an `integer`
 * parameter) or string (query-params.ts toDriverValue); anything else is sent as JSON text.
 */
const toWireText = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
};

/** pg_type OID of int8 (PostgreSQL `pg_type.dat`): the declared type of an `integer` parameter. */
const INT8_OID = 20;

/**
 * Parameter types for Parse: int8 for a bigint (an `integer` parameter, exact in text form, and
 * typed so `SELECT {{id}}` or `{{id}} + 1` is int8 arithmetic, not text), 0 (the server infers
 * the type from the statement) for everything else (PostgreSQL docs, "Message Formats", Parse).
 */
const paramTypes = (values: unknown[]): number[] | undefined =>
  values.some((v) => typeof v === 'bigint')
    ? values.map((v) => (typeof v === 'bigint' ? INT8_OID : 0))
    : undefined;

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
 * carries Parse/Bind/Execute of each {@link SESSION_RESET_SQL} statement and of
 * {@link RUN_SETTINGS_SQL}, then Parse/Bind/Describe/Execute (at most {@link BATCH_ROWS} rows)
 * of the statement and a Flush. With no Sync in between, all run in one implicit transaction,
 * so the settings apply to the statement and end with it. A PortalSuspended asks for the next
 * batch. At CommandComplete, or at the caps, a Sync ends the transaction (committing a
 * data-modifying statement whole; a portal cut at the caps is closed, so a SELECT stops there)
 * and its ReadyForQuery settles the run. So a one-batch run costs two round trips, where
 * `BEGIN; SET LOCAL ...`, a cursor and `COMMIT` cost five.
 *
 * Why not one round trip (Sync in the first write, tried in this session): once the Sync is
 * sent the server runs the statement to its end and commits on its own, so a run cut at the
 * byte cap could only drop the connection, and whether a cut write had committed depended on
 * timing; a breaking session showed both outcomes for the same statement. Here nothing commits
 * without our Sync: a run that is refused (COPY) or cannot be read is rolled back, always.
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
  private failure: unknown;
  /** CommandCompletes still due before the statement's (reset statements and settings). */
  private settingsLeft = SESSION_RESET_SQL.length + 1;
  /** A COPY FROM STDIN that we ended with CopyFail (its 57014 is ours, not a timeout). */
  private copyIn = false;
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

  /** Called by pg's Client when the connection is free: writes the first part of the pipeline. */
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
      for (const text of SESSION_RESET_SQL) {
        connection.parse({ text });
        connection.bind({});
        connection.execute({ rows: 0 });
      }
      connection.parse({ text: RUN_SETTINGS_SQL });
      connection.bind({ values: [timeoutMs] });
      connection.execute({ rows: 0 });
      connection.parse({ text: this.text, types: paramTypes(this.values) });
      connection.bind({ values: this.values, valueMapper: toWireText });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ rows: BATCH_ROWS });
      connection.flush();
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
    if (this.phase !== 'statement' || this.capped) return;
    try {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < this.names.length; i++) {
        const v = message.fields[i];
        row[this.names[i]] = v === null ? null : decodePgText(this.oids[i], v);
      }
      if (!this.collector.add(row)) this.capped = true;
    } catch (error) {
      this.failure ??= error;
      this.capped = true;
    }
  }

  /** A batch ended with rows left: the next batch, or the end at the caps. */
  handlePortalSuspended(): void {
    if (this.capped) this.finish();
    else {
      this.connection?.execute({ rows: BATCH_ROWS });
      this.connection?.flush();
    }
  }

  handleCommandComplete(): void {
    // The reset statements and the settings come first: the statement's is the last one.
    if (this.phase === 'settings') {
      this.settingsLeft -= 1;
      if (this.settingsLeft === 0) this.phase = 'statement';
    } else if (this.phase === 'statement') this.finish();
  }

  /** A statement that is only comments or blanks answers EmptyQueryResponse. */
  handleEmptyQuery(): void {
    this.finish();
  }

  /**
   * Ends the run's transaction with a Sync. A run that
   * failed on our side (COPY refused, a value that cannot be decoded) is not committed: no Sync
   * is sent, the connection is dropped (rolling the transaction back) and the run fails now.
   */
  private finish(): void {
    if (this.phase !== 'statement') return;
    const connection = this.connection;
    if (!connection) return;
    if (this.failure !== undefined) {
      this.healthy = false;
      this.phase = 'done';
      connection.removeListener('parameterStatus', this.onParameterStatus);
      this.reject(this.failure);
      return;
    }
    this.phase = 'syncing';
    connection.sync();
  }

  handleReadyForQuery(): void {
    if (this.phase === 'done') return; // already settled (cut, or failed on our side)
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
    if (!sessionLives) this.healthy = false;
    // The server skips to a Sync and answers ReadyForQuery, which pg's Client consumes; send
    // that Sync unless the reset already did.
    if (sessionLives && this.phase !== 'syncing') this.connection?.sync();
    this.phase = 'done';
    this.connection?.removeListener('parameterStatus', this.onParameterStatus);
    if (this.failure !== undefined && this.copyIn) {
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
    this.copyIn = true;
    // The server answers with an error and then waits for a Sync (sent by handleError).
    connection.sendCopyFail('COPY is not supported by the query proxy');
  }

  /** COPY ... TO STDOUT: the data is dropped and the run fails as "feature not supported". */
  handleCopyData(): void {
    // Refused at its CommandComplete, before any Sync: what the statement inside did
    // (`COPY (DELETE ... RETURNING ...) TO STDOUT`) is rolled back with the connection.
    this.failure ??= notSupported('COPY');
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
