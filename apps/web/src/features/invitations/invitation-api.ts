import type { TAcceptInvitationResponse, TInvitationPreview } from '@bastion/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest, setCsrfToken } from '../../lib/api-client';
import { ME_QUERY_KEY } from '../auth/use-me';

/** `GET /api/invitations/:token` (public): workspace name, role, email, whether to create an account. */
export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: ['invitation', token],
    queryFn: () => apiRequest<TInvitationPreview>('GET', `/api/invitations/${token}`),
    retry: false,
  });
}

/**
 * `POST /api/invitations/:token/accept` {password?}: keeps the session's CSRF token and
 * refreshes `/api/me`, whose memberships now include the workspace.
 */
export function useAcceptInvitation(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (password: string | undefined) =>
      apiRequest<TAcceptInvitationResponse>(
        'POST',
        `/api/invitations/${token}/accept`,
        password === undefined ? {} : { password },
      ),
    onSuccess: async (data) => {
      setCsrfToken(data.csrfToken);
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
  });
}
