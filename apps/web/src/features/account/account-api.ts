import type {
  TAuditEventPage,
  TRecoveryCodesResponse,
  TSessionInfo,
  TSessionListResponse,
  TTwoFactorEnrolResponse,
  TTwoFactorStatusResponse,
  TInstanceSettings,
  TWorkspace,
} from '@bastion/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';
import { ME_QUERY_KEY } from '../auth/use-me';
import { useSignedOut } from '../workspaces/session-menu';

const TWO_FACTOR_KEY = ['two-factor'] as const;

/** `GET /api/auth/two-factor`. */
export function useTwoFactorStatus() {
  return useQuery({
    queryKey: TWO_FACTOR_KEY,
    queryFn: () => apiRequest<TTwoFactorStatusResponse>('GET', '/api/auth/two-factor'),
  });
}

/** Refreshes what depends on the two-factor state (status and `/api/me`). */
function useRefreshTwoFactor() {
  const queryClient = useQueryClient();
  return async () => {
    await queryClient.invalidateQueries({ queryKey: TWO_FACTOR_KEY });
    await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
  };
}

export function useEnrolTwoFactor() {
  return useMutation({
    // The password is asked again: a session alone cannot add an authenticator.
    mutationFn: (password: string) =>
      apiRequest<TTwoFactorEnrolResponse>('POST', '/api/auth/two-factor/enrol', { password }),
  });
}

export function useConfirmTwoFactor() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (code: string) =>
      apiRequest<TRecoveryCodesResponse>('POST', '/api/auth/two-factor/confirm', { code }),
    onSuccess: refresh,
  });
}

export function useDisableTwoFactor() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (password: string) =>
      apiRequest<void>('POST', '/api/auth/two-factor/disable', { password }),
    onSuccess: refresh,
  });
}

export function useRegenerateRecoveryCodes() {
  const refresh = useRefreshTwoFactor();
  return useMutation({
    mutationFn: (code: string) =>
      apiRequest<TRecoveryCodesResponse>('POST', '/api/auth/two-factor/recovery-codes', { code }),
    onSuccess: refresh,
  });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      apiRequest<void>('POST', '/api/auth/password', body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: SESSIONS_KEY }),
  });
}

const SESSIONS_KEY = ['sessions'] as const;

/** `GET /api/auth/sessions`: the caller's live sessions with their public ids. */
export function useSessions() {
  return useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => apiRequest<TSessionListResponse>('GET', '/api/auth/sessions'),
  });
}

/**
 * `DELETE /api/auth/sessions/:sessionId`: revokes one of the caller's sessions (204). Revoking
 * the current one signs this browser out (the server clears the cookie), so it ends like a
 * sign-out; any other refreshes the list.
 */
export function useRevokeSession() {
  const queryClient = useQueryClient();
  const signedOut = useSignedOut();
  return useMutation({
    mutationFn: (session: Pick<TSessionInfo, 'id' | 'current'>) =>
      apiRequest<void>('DELETE', `/api/auth/sessions/${session.id}`),
    onSuccess: (_data, session) =>
      session.current ? signedOut() : queryClient.invalidateQueries({ queryKey: SESSIONS_KEY }),
  });
}

export function useCreateWorkspace() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => apiRequest<TWorkspace>('POST', '/api/workspaces', { name }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY }),
  });
}

/**
 * `GET /api/me/audit-events`: the caller's own sign-ins, failed sign-ins and account changes,
 * newest first, 20 per page.
 */
export function useMyAuditEvents() {
  return useInfiniteQuery({
    queryKey: ['me', 'audit-events'],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      apiRequest<TAuditEventPage>(
        'GET',
        `/api/me/audit-events?limit=20${pageParam ? `&cursor=${pageParam}` : ''}`,
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

const INSTANCE_SETTINGS_KEY = ['instance-settings'] as const;

/** `GET /api/instance/settings` (instance admins only; `enabled` false for everyone else). */
export function useInstanceSettings(enabled: boolean) {
  return useQuery({
    queryKey: INSTANCE_SETTINGS_KEY,
    queryFn: () => apiRequest<TInstanceSettings>('GET', '/api/instance/settings'),
    enabled,
  });
}

/** `PATCH /api/instance/settings` (instance admins): who may create workspaces. */
export function useUpdateInstanceSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TInstanceSettings) =>
      apiRequest<TInstanceSettings>('PATCH', '/api/instance/settings', body),
    onSuccess: async (settings) => {
      queryClient.setQueryData(INSTANCE_SETTINGS_KEY, settings);
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
  });
}
