import { Link, Navigate } from 'react-router';
import { EmptyState } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { useCurrentWorkspace } from './use-current-workspace';

/** `/w`: opens the first workspace of the user (the switcher changes it). */
export function FirstWorkspaceRedirect() {
  const { memberships } = useCurrentWorkspace();
  const me = useMe();
  if (memberships.length === 0) {
    return (
      <section className="card">
        <EmptyState title="You are not a member of any workspace yet">
          Ask a workspace admin for an invitation link
          {me.data?.canCreateWorkspaces ? (
            <>
              , or create a workspace from your <Link to="/account">account</Link>
            </>
          ) : null}
          .
        </EmptyState>
      </section>
    );
  }
  return <Navigate to={`/w/${memberships[0].workspaceId}`} replace />;
}

/** `/w/:workspaceId`: the workspace's start page with its sections. */
export function WorkspaceHomePage() {
  const { workspaceId, membership, isAdmin } = useCurrentWorkspace();
  if (!membership) {
    return (
      <section className="card">
        <h1>Workspace not found</h1>
        <Link to="/w">Open your workspaces</Link>
      </section>
    );
  }
  return (
    <section className="card">
      <h1>{membership.workspaceName}</h1>
      <p>Your role: {membership.role}</p>
      <ul>
        <li>
          <Link to={`/w/${workspaceId}/apps`}>Apps</Link>
        </li>
        {membership.role !== 'viewer' && (
          <li>
            <Link to={`/w/${workspaceId}/datasources`}>Datasources</Link>
          </li>
        )}
        {isAdmin && (
          <li>
            <Link to={`/w/${workspaceId}/members`}>Members and security</Link>
          </li>
        )}
      </ul>
    </section>
  );
}
