import type { TestProject } from 'vitest/node';
import { startMariaDb } from './mariadb-server';
import { startPostgres } from './postgres-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of a PostgreSQL server with password auth. */
    postgresAdminUrl: string;
    /** URL of a MariaDB user with a password and all privileges. */
    mysqlAdminUrl: string;
  }
}

/**
 * Starts one throwaway PostgreSQL and one MariaDB for the whole run, unless TEST_POSTGRES_URL /
 * TEST_MYSQL_URL name existing servers. Tests create their own databases on them. The servers
 * are stopped by the teardown, and also when the run is interrupted (Ctrl+C, SIGTERM, exit),
 * so no daemon outlives its run.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const stops: (() => void)[] = [];
  const stopAll = () => {
    for (const stop of stops.splice(0)) {
      try {
        stop();
      } catch {
        // already stopped
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopAll();
    process.kill(process.pid, signal);
  };
  process.once('exit', stopAll);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const [pgUrl, myUrl] = await Promise.all([
    process.env.TEST_POSTGRES_URL ??
      startPostgres().then((s) => {
        stops.push(() => s.stop());
        return s.url;
      }),
    process.env.TEST_MYSQL_URL ??
      startMariaDb().then((s) => {
        stops.push(() => s.stop());
        return s.url;
      }),
  ]);
  project.provide('postgresAdminUrl', pgUrl);
  project.provide('mysqlAdminUrl', myUrl);
  return stopAll;
}
