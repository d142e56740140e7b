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
 * TEST_MYSQL_URL name existing servers. Tests create their own databases on them.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const stops: (() => void)[] = [];
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
  return () => {
    for (const stop of stops) stop();
  };
}
