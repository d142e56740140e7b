import type { THealthResponse } from '@bastion/contracts';
import { useQuery } from '@tanstack/react-query';
import { ApiError, apiRequest } from '../../lib/api-client';

/** Polls `GET /api/health`; a 503 still carries the health body, so it is read, not thrown. */
export function useHealth() {
  return useQuery({
    queryKey: ['health'],
    queryFn: async () => {
      const res = await fetch('/api/health', { headers: { accept: 'application/json' } });
      if (res.status !== 200 && res.status !== 503) {
        throw new ApiError(res.status, `Health check failed (${res.status})`, undefined);
      }
      return (await res.json()) as THealthResponse;
    },
    refetchInterval: 30_000,
  });
}

export { apiRequest };
