import { Link, Navigate } from 'react-router';
import { Loading } from '../components/loading';
import { useMe, useSetupStatus } from '../features/auth/use-me';

/**
 * `/`: what Bastion is, and the next step for whoever opens it: first-run setup on a fresh
 * instance (no account yet: `GET /api/setup` says `setupRequired`), the user's workspaces when
 * signed in, else the sign-in link. A failed status check falls back to the sign-in link.
 */
export function HomePage() {
  const setup = useSetupStatus();
  const me = useMe();
  if (setup.data?.setupRequired) return <Navigate to="/setup" replace />;
  return (
    <section className="card">
      <h1>Bastion</h1>
      <p>
        Connect your databases and HTTP APIs, write queries, build apps on them and publish them.
        Credentials stay encrypted on the server; results are never stored.
      </p>
      <NextStep
        pending={setup.isPending || me.isPending}
        workspaces={me.data?.memberships.map((m) => ({ id: m.workspaceId, name: m.workspaceName }))}
      />
    </section>
  );
}

/** The signed-in user's workspaces (undefined: signed out), or the sign-in link. */
function NextStep({
  pending,
  workspaces,
}: {
  pending: boolean;
  workspaces: { id: string; name: string }[] | undefined;
}) {
  if (pending) return <Loading label="Checking your session…" />;
  if (!workspaces) return <Link to="/sign-in">Sign in to start</Link>;
  if (workspaces.length === 0) return <Link to="/w">Open your workspaces</Link>;
  return (
    <nav aria-label="Your workspaces">
      <h2>Your workspaces</h2>
      <ul>
        {workspaces.map((w) => (
          <li key={w.id}>
            <Link to={`/w/${w.id}`}>{w.name}</Link> (<Link to={`/w/${w.id}/apps`}>apps</Link>)
          </li>
        ))}
      </ul>
    </nav>
  );
}
