import type { TMember, TWorkspace, TWorkspaceRole } from '@bastion/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';
import { ME_QUERY_KEY } from '../auth/use-me';

const membersKey = (wid: string) => ['workspaces', wid, 'members'] as const;
const workspaceKey = (wid: string) => ['workspaces', wid] as const;

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

export function useAddMember(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: TWorkspaceRole; password?: string }) =>
      apiRequest<TMember>('POST', `/api/workspaces/${workspaceId}/members`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: membersKey(workspaceId) }),
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
