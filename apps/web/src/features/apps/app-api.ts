import type {
  TApp,
  TAppRevision,
  TAppSummary,
  TCreateAppRequest,
  TCreateQueryRequest,
  TPreviewQueryRequest,
  TPublishedApp,
  TRunQueryResponse,
  TSavedQuery,
  TUpdateAppRequest,
  TUpdateQueryRequest,
} from '@bastion/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';

const enc = encodeURIComponent;
export const appsPath = (wid: string) => `/api/workspaces/${enc(wid)}/apps`;
export const appPath = (wid: string, appId: string) => `${appsPath(wid)}/${enc(appId)}`;

export const appKeys = {
  list: (wid: string) => ['workspaces', wid, 'apps'] as const,
  one: (wid: string, appId: string) => ['workspaces', wid, 'apps', appId] as const,
  published: (wid: string, appId: string) =>
    ['workspaces', wid, 'apps', appId, 'published'] as const,
  revisions: (wid: string, appId: string) =>
    ['workspaces', wid, 'apps', appId, 'revisions'] as const,
};

/** `GET /api/workspaces/:wid/apps`. */
export function useApps(wid: string) {
  return useQuery({
    queryKey: appKeys.list(wid),
    queryFn: () => apiRequest<TAppSummary[]>('GET', appsPath(wid)),
  });
}

/** `GET /api/workspaces/:wid/apps/:appId` (no cache): the server's current draft and version. */
export function fetchApp(wid: string, appId: string): Promise<TApp> {
  return apiRequest<TApp>('GET', appPath(wid, appId));
}

/**
 * `GET /api/workspaces/:wid/apps/:appId`: the draft with its queries (editors). Editable data:
 * every open loads the server's current state (no stale cache, `gcTime: 0` drops the copy when
 * the editor closes); while open, the editor's local state owns the draft (it reads this once).
 */
export function useApp(wid: string, appId: string) {
  return useQuery({
    queryKey: appKeys.one(wid, appId),
    queryFn: () => fetchApp(wid, appId),
    staleTime: 0,
    gcTime: 0,
    refetchOnMount: 'always',
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });
}

/** `GET .../apps/:appId/revisions`: newest first (editors). */
export function useRevisions(wid: string, appId: string, enabled: boolean) {
  return useQuery({
    queryKey: appKeys.revisions(wid, appId),
    enabled,
    staleTime: 0,
    queryFn: () => apiRequest<TAppRevision[]>('GET', `${appPath(wid, appId)}/revisions?limit=100`),
  });
}

/** `POST .../revisions/:revisionId/restore`: the revision becomes the draft (a new version). */
export function restoreRevision(wid: string, appId: string, revisionId: string): Promise<TApp> {
  return apiRequest<TApp>(
    'POST',
    `${appPath(wid, appId)}/revisions/${enc(revisionId)}/restore`,
    {},
  );
}

/** `GET .../apps/:appId/published` (viewers): definition and query ids, names, params only. */
export function usePublishedApp(wid: string, appId: string, enabled = true) {
  return useQuery({
    queryKey: appKeys.published(wid, appId),
    enabled,
    queryFn: () => apiRequest<TPublishedApp>('GET', `${appPath(wid, appId)}/published`),
    retry: false,
  });
}

export function useCreateApp(wid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TCreateAppRequest) => apiRequest<TApp>('POST', appsPath(wid), body),
    onSuccess: () => qc.invalidateQueries({ queryKey: appKeys.list(wid) }),
  });
}

export function useDeleteApp(wid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (appId: string) => apiRequest<void>('DELETE', appPath(wid, appId)),
    onSuccess: () => qc.invalidateQueries({ queryKey: appKeys.list(wid) }),
  });
}

/**
 * `PATCH .../apps/:appId` with `If-Match: "<version>"`: saves the draft (name and/or
 * definition). Rejects with a 409 ApiError (`currentVersion`) when someone saved first.
 */
export function updateApp(
  wid: string,
  appId: string,
  body: TUpdateAppRequest,
  version: number,
): Promise<TApp> {
  return apiRequest<TApp>('PATCH', appPath(wid, appId), body, { ifMatch: version });
}

/** `POST .../apps/:appId/publish`: freezes the draft and its queries for viewers (409 if stale). */
export function publishApp(wid: string, appId: string, version?: number): Promise<unknown> {
  return apiRequest<unknown>('POST', `${appPath(wid, appId)}/publish`, {}, { ifMatch: version });
}

export function createQuery(wid: string, appId: string, body: TCreateQueryRequest) {
  return apiRequest<TSavedQuery>('POST', `${appPath(wid, appId)}/queries`, body);
}

export function updateQuery(
  wid: string,
  appId: string,
  queryId: string,
  body: TUpdateQueryRequest,
  version: number,
) {
  return apiRequest<TSavedQuery>('PATCH', `${appPath(wid, appId)}/queries/${enc(queryId)}`, body, {
    ifMatch: version,
  });
}

export function deleteQuery(wid: string, appId: string, queryId: string, version?: number) {
  return apiRequest<void>('DELETE', `${appPath(wid, appId)}/queries/${enc(queryId)}`, undefined, {
    ifMatch: version,
  });
}

/**
 * `POST .../queries/:queryId/run {params}`: only the query id and parameter values leave the
 * browser. `draft` (editors) runs the draft instead of the published version.
 */
export function runSavedQuery(
  wid: string,
  appId: string,
  queryId: string,
  params: Record<string, unknown>,
  draft: boolean,
): Promise<TRunQueryResponse> {
  const url = `${appPath(wid, appId)}/queries/${enc(queryId)}/run${draft ? '?draft=true' : ''}`;
  return apiRequest<TRunQueryResponse>('POST', url, { params });
}

/** `POST .../datasources/:id/preview` (editors): an ad-hoc run of unsaved text. */
export function previewQuery(wid: string, datasourceId: string, body: TPreviewQueryRequest) {
  return apiRequest<TRunQueryResponse>(
    'POST',
    `/api/workspaces/${enc(wid)}/datasources/${enc(datasourceId)}/preview`,
    body,
  );
}
