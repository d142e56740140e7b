import { Link } from 'react-router';
import { useCurrentWorkspace } from '../workspaces/use-current-workspace';

/** "Audit" in the top bar, for admins of the workspace in the URL. */
export function AuditNavLink() {
  const { workspaceId, isAdmin } = useCurrentWorkspace();
  if (!workspaceId || !isAdmin) return null;
  return <Link to={`/w/${workspaceId}/audit`}>Audit</Link>;
}
