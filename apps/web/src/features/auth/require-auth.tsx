import { Navigate, Outlet, useLocation } from 'react-router';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe, useSetupStatus } from './use-me';

/**
 * Layout route for every page that needs a session: sends the browser to `/setup` while
 * first-run setup is open, to `/sign-in?next=<here>` when signed out, else renders the child
 * route. Pages below it can rely on `useMe().data` being set.
 */
export function RequireAuth() {
  const location = useLocation();
  const setup = useSetupStatus();
  const me = useMe();
  if (setup.isPending || me.isPending) return <Loading label="Checking your session…" />;
  if (setup.data?.setupRequired) return <Navigate to="/setup" replace />;
  if (me.isError) return <ErrorNotice error={me.error} title="Could not load your session" />;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  return <Outlet />;
}

/** Only same-site paths are followed after sign-in (no open redirect to another origin). */
export function safeNextPath(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\'))
    return '/w';
  return next;
}
