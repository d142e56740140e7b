import { useHealth } from './use-health';

/** Small status badge: server, metadata database and vault. */
export function HealthStatus() {
  const health = useHealth();
  if (health.isPending)
    return (
      <span className="badge" aria-busy="true">
        Checking server…
      </span>
    );
  if (health.isError)
    return (
      <span className="badge badge-error" role="status">
        Server unreachable
      </span>
    );
  const { status, database, vault } = health.data;
  return (
    <span
      className={`badge ${status === 'ok' ? 'badge-ok' : 'badge-warn'}`}
      role="status"
      data-testid="health-status"
    >
      Server {status} · database {database} · vault {vault}
    </span>
  );
}
