import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { apiRequest, setCsrfToken } from '../../lib/api-client';
import { ME_QUERY_KEY, useMe } from '../auth/use-me';
import { useCurrentWorkspace } from './use-current-workspace';
import { WorkspaceSwitcher } from './workspace-switcher';
import './account-ui.css';

/**
 * What follows the end of this browser's session (sign out, sign out everywhere, revoking the
 * current session): forget the CSRF token and every cached response, go to the sign-in page.
 */
export function useSignedOut(): () => void {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return () => {
    setCsrfToken(undefined);
    queryClient.clear();
    queryClient.setQueryData(ME_QUERY_KEY, null);
    void navigate('/sign-in', { replace: true });
  };
}

/** Signs out (`POST /api/auth/logout`), forgets cached data and goes to the sign-in page. */
export function useSignOut(path = '/api/auth/logout') {
  const signedOut = useSignedOut();
  return useMutation({
    mutationFn: () => apiRequest<void>('POST', path),
    onSettled: signedOut,
  });
}

/**
 * The signed-in part of the top bar: workspace switcher, the workspace's sections, account and
 * sign out; a "Sign in" link when signed out.
 */
export function SessionMenu() {
  const me = useMe();
  const { workspaceId, membership, isAdmin } = useCurrentWorkspace();
  const signOut = useSignOut();
  if (me.isPending) return null;
  if (!me.data) return <Link to="/sign-in">Sign in</Link>;
  return (
    <div className="session-menu">
      <WorkspaceSwitcher />
      {workspaceId && membership && (
        <>
          <Link to={`/w/${workspaceId}/apps`}>Apps</Link>
          {membership.role !== 'viewer' && (
            <Link to={`/w/${workspaceId}/datasources`}>Datasources</Link>
          )}
          {isAdmin && <Link to={`/w/${workspaceId}/members`}>Members</Link>}
        </>
      )}
      <Link to="/account">Account</Link>
      <span className="user-email" title="Signed in as">
        {me.data.user.email}
      </span>
      <button type="button" className="secondary" onClick={() => signOut.mutate()}>
        Sign out
      </button>
    </div>
  );
}
