import type { Knex } from 'knex';
import type { RunLimits, RunResult } from '../datasources/connectors/connector';

/** One compiled statement to run: driver SQL text, bind values in order, limits. */
export interface SqlRun {
  text: string;
  values: unknown[];
  limits: RunLimits;
}

/** Runs one statement on one engine, streaming rows into the caps; never keeps a result. */
export interface SqlExecutor {
  run(pool: Knex, run: SqlRun): Promise<RunResult>;
}

/** knex's client internals the executors use to borrow a raw driver connection. */
export interface KnexClientInternals {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void> | void;
  config: { connection?: unknown };
  connectionSettings?: unknown;
}

export const knexClient = (pool: Knex) => pool.client as unknown as KnexClientInternals;

/** Marks a pooled connection unusable so the pool destroys it instead of lending it again. */
export function disposeConnection(connection: object, reason: string): void {
  (connection as { __knex__disposed?: string }).__knex__disposed = reason;
}
