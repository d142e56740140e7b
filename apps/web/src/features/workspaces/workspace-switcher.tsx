import { Link, useLocation, useNavigate } from 'react-router';
import { useMe } from '../auth/use-me';
import { useCurrentWorkspace } from './use-current-workspace';

/**
 * Top-bar workspace picker. The current workspace lives in the URL (`/w/:workspaceId/...`), so
 * a reload or a shared link keeps it; switching keeps the section (datasources, apps, members).
 * "New workspace" shows only when the instance lets this user create one.
 */
export function WorkspaceSwitcher() {
  const { workspaceId, memberships } = useCurrentWorkspace();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  if (memberships.length === 0) return null;
  const section = workspaceId ? (location.pathname.split('/')[3] ?? '') : '';
  return (
    <span className="workspace-switcher">
      <select
        aria-label="Workspace"
        value={workspaceId ?? ''}
        onChange={(e) => void navigate(`/w/${e.target.value}${section ? `/${section}` : ''}`)}
      >
        {!workspaceId && (
          <option value="" disabled>
            Choose a workspace
          </option>
        )}
        {memberships.map((m) => (
          <option key={m.workspaceId} value={m.workspaceId}>
            {m.workspaceName} ({m.role})
          </option>
        ))}
      </select>
      {me.data?.canCreateWorkspaces && (
        <Link to="/account#new-workspace-title" className="small">
          New workspace
        </Link>
      )}
    </span>
  );
}
