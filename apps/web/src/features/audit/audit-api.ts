import type {
  TAuditAction,
  TAuditEventPage,
  TWorkspaceAuditVerifyResult,
} from '@bastion/contracts';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';

/** The filters of the audit page; empty strings mean "any". Times are ISO strings. */
export interface AuditFilters {
  actor: string;
  action: TAuditAction | '';
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}

export const EMPTY_FILTERS: AuditFilters = {
  actor: '',
  action: '',
  targetType: '',
  targetId: '',
  from: '',
  to: '',
};

/** Query string of the filters (only the ones set), without the leading `?`. */
export function auditQueryString(filters: AuditFilters, extra: Record<string, string> = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters) as [string, string][]) {
    if (value.trim() !== '') params.set(key, value.trim());
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}

/** Download link of every entry matching the filters (the API sends it as an attachment). */
export function auditExportUrl(
  workspaceId: string,
  filters: AuditFilters,
  format: 'csv' | 'jsonl',
) {
  return `/api/workspaces/${workspaceId}/audit-events?${auditQueryString(filters, { format })}`;
}

/** `GET /api/workspaces/:wid/audit-events` (admin), newest first, 50 per page. */
export function useAuditEvents(workspaceId: string, filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: ['workspaces', workspaceId, 'audit-events', filters],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      apiRequest<TAuditEventPage>(
        'GET',
        `/api/workspaces/${workspaceId}/audit-events?${auditQueryString(
          filters,
          pageParam ? { cursor: pageParam, limit: '50' } : { limit: '50' },
        )}`,
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: workspaceId !== '',
  });
}

/**
 * `GET /api/workspaces/:wid/audit-events/verify` (admin): reported on this workspace's entries
 * only; runs only when asked.
 */
export function useAuditVerify(workspaceId: string) {
  return useQuery({
    queryKey: ['workspaces', workspaceId, 'audit-verify'],
    queryFn: () =>
      apiRequest<TWorkspaceAuditVerifyResult>(
        'GET',
        `/api/workspaces/${workspaceId}/audit-events/verify`,
      ),
    enabled: false,
    retry: false,
  });
}
