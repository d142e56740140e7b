import type { TMeResponse, TSetupStatusResponse } from '@bastion/contracts';
import { useQuery } from '@tanstack/react-query';
import { ApiError, apiRequest, setCsrfToken } from '../../lib/api-client';

/** Query key of `GET /api/me`, shared by every hook that reads the session. */
export const ME_QUERY_KEY = ['me'] as const;

/**
 * The session bootstrap: `GET /api/me` -> who is signed in, their workspaces, and the CSRF
 * token, which is handed to the API client for every state-changing request. Signed out is
 * `data: null` (not an error), so pages can redirect instead of showing a failure.
 */
export function useMe() {
  return useQuery({
    queryKey: ME_QUERY_KEY,
    queryFn: async (): Promise<TMeResponse | null> => {
      try {
        const me = await apiRequest<TMeResponse>('GET', '/api/me');
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          setCsrfToken(undefined);
          return null;
        }
        throw error;
      }
    },
    retry: false,
    staleTime: 60_000,
  });
}

/** `GET /api/setup`: whether first-run setup is still open. */
export function useSetupStatus() {
  return useQuery({
    queryKey: ['setup-status'],
    queryFn: () => apiRequest<TSetupStatusResponse>('GET', '/api/setup'),
    retry: false,
    staleTime: 5 * 60_000,
  });
}
