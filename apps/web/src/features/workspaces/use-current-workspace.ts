import type { TMembership } from '@bastion/contracts';
import { matchPath, useLocation } from 'react-router';
import { useMe } from '../auth/use-me';

/**
 * The workspace named by the URL (`/w/:workspaceId/...`) and the caller's role in it, from the
 * memberships of `GET /api/me`. `membership` is undefined while loading, when signed out, or
 * when the user is not a member (the API answers 404 for such a workspace anyway).
 */
export function useCurrentWorkspace(): {
  workspaceId: string | undefined;
  membership: TMembership | undefined;
  memberships: TMembership[];
  isAdmin: boolean;
} {
  // Read from the URL, not `useParams`: the top bar sits above the `/w/:workspaceId` route.
  const { pathname } = useLocation();
  const workspaceId =
    matchPath({ path: '/w/:workspaceId', end: false }, pathname)?.params.workspaceId ?? undefined;
  const me = useMe();
  const memberships = me.data?.memberships ?? [];
  const membership = memberships.find((m) => m.workspaceId === workspaceId);
  return { workspaceId, membership, memberships, isAdmin: membership?.role === 'admin' };
}
