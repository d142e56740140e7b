import type {
  TCreatedInvitation,
  TInvitation,
  TMember,
  TWorkspace,
  TWorkspaceRole,
} from '@bastion/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';
import { ME_QUERY_KEY } from '../auth/use-me';

const membersKey = (wid: string) => ['workspaces', wid, 'members'] as const;
const workspaceKey = (wid: string) => ['workspaces', wid] as const;
const invitationsKey = (wid: string) => ['workspaces', wid, 'invitations'] as const;

/** `GET /api/workspaces/:wid` (any member). */
export function useWorkspace(workspaceId: string) {
  return useQuery({
    queryKey: workspaceKey(workspaceId),
    queryFn: () => apiRequest<TWorkspace>('GET', `/api/workspaces/${workspaceId}`),
  });
}

/** `GET /api/workspaces/:wid/members` (admin). */
export function useMembers(workspaceId: string) {
  return useQuery({
    queryKey: membersKey(workspaceId),
    queryFn: () => apiRequest<TMember[]>('GET', `/api/workspaces/${workspaceId}/members`),
  });
}

/** `GET /api/workspaces/:wid/invitations` (admin): pending invitations, never their links. */
export function useInvitations(workspaceId: string) {
  return useQuery({
    queryKey: invitationsKey(workspaceId),
    queryFn: () => apiRequest<TInvitation[]>('GET', `/api/workspaces/${workspaceId}/invitations`),
  });
}

/**
 * `POST /api/workspaces/:wid/invitations` {email,role} (admin) -> the invitation with its link,
 * shown once: the server keeps only a hash of it.
 */
export function useCreateInvitation(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: TWorkspaceRole }) =>
      apiRequest<TCreatedInvitation>('POST', `/api/workspaces/${workspaceId}/invitations`, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: invitationsKey(workspaceId) }),
  });
}

/** `POST /api/workspaces/:wid/invitations/:id/resend` (admin): a new link; the old one is dead. */
export function useResendInvitation(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      apiRequest<TCreatedInvitation>(
        'POST',
        `/api/workspaces/${workspaceId}/invitations/${id}/resend`,
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: invitationsKey(workspaceId) }),
  });
}

/** `DELETE /api/workspaces/:wid/invitations/:id` (admin): the link stops working. */
export function useRevokeInvitation(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      apiRequest<void>('DELETE', `/api/workspaces/${workspaceId}/invitations/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: invitationsKey(workspaceId) }),
  });
}

export function useChangeRole(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: TWorkspaceRole }) =>
      apiRequest<TMember>('PATCH', `/api/workspaces/${workspaceId}/members/${userId}`, { role }),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: membersKey(workspaceId) });
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
  });
}

/**
 * `DELETE /api/workspaces/:wid/members/:userId` (admin): 204; 409 for the last admin. Refreshes
 * the member list and `/api/me` (removing yourself drops this workspace from it).
 */
export function useRemoveMember(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      apiRequest<void>('DELETE', `/api/workspaces/${workspaceId}/members/${userId}`),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: membersKey(workspaceId) });
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
  });
}

export function useUpdateWorkspace(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; requireTwoFactor?: boolean }) =>
      apiRequest<TWorkspace>('PATCH', `/api/workspaces/${workspaceId}`, body),
    onSuccess: (ws) => {
      queryClient.setQueryData(workspaceKey(workspaceId), ws);
      return queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
  });
}
