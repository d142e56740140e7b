import type { TDatasourceTypeCatalog, TEgressInfo } from '@bastion/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../../lib/api-client';
import type {
  ConnectionTestResult,
  CreateDatasourceBody,
  DatasourceView,
  TestBody,
  UpdateDatasourceBody,
} from './datasource-model';

const base = (wid: string) => `/api/workspaces/${encodeURIComponent(wid)}/datasources`;

export const datasourceKeys = {
  types: ['datasource-types'] as const,
  egress: ['egress'] as const,
  list: (wid: string) => ['workspaces', wid, 'datasources'] as const,
  one: (wid: string, id: string) => ['workspaces', wid, 'datasources', id] as const,
};

/** `GET /api/datasource-types`: the connector catalog the forms are generated from. */
export function useDatasourceTypes() {
  return useQuery({
    queryKey: datasourceKeys.types,
    staleTime: 5 * 60_000,
    queryFn: () => apiRequest<TDatasourceTypeCatalog>('GET', '/api/datasource-types'),
  });
}

/** `GET /api/egress` -> `{publicIps}`: the operator's outbound addresses (may be empty). */
export function useEgressInfo() {
  return useQuery({
    queryKey: datasourceKeys.egress,
    staleTime: 5 * 60_000,
    queryFn: () => apiRequest<TEgressInfo>('GET', '/api/egress'),
  });
}

/** `GET /api/workspaces/:wid/datasources`. */
export function useDatasources(wid: string) {
  return useQuery({
    queryKey: datasourceKeys.list(wid),
    queryFn: () => apiRequest<DatasourceView[]>('GET', base(wid)),
  });
}

/** `GET /api/workspaces/:wid/datasources/:id`: secrets come back as `{field: {isSet}}`. */
export function useDatasource(wid: string, id: string) {
  return useQuery({
    queryKey: datasourceKeys.one(wid, id),
    queryFn: () => apiRequest<DatasourceView>('GET', `${base(wid)}/${encodeURIComponent(id)}`),
  });
}

export function useCreateDatasource(wid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateDatasourceBody) => apiRequest<DatasourceView>('POST', base(wid), body),
    onSuccess: (ds) => {
      qc.setQueryData(datasourceKeys.one(wid, ds.id), ds);
      void qc.invalidateQueries({ queryKey: datasourceKeys.list(wid) });
    },
  });
}

/**
 * `PATCH .../datasources/:id` with `If-Match: "<version>"` (the version the form was loaded
 * from); a 409 ApiError (`currentVersion`) when someone saved in between.
 */
export function useUpdateDatasource(wid: string, id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, version }: { body: UpdateDatasourceBody; version: number }) =>
      apiRequest<DatasourceView>('PATCH', `${base(wid)}/${encodeURIComponent(id)}`, body, {
        ifMatch: version,
      }),
    onSuccess: (ds) => {
      qc.setQueryData(datasourceKeys.one(wid, id), ds);
      void qc.invalidateQueries({ queryKey: datasourceKeys.list(wid) });
    },
  });
}

export function useDeleteDatasource(wid: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      apiRequest<void>('DELETE', `${base(wid)}/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: datasourceKeys.list(wid) }),
  });
}

/**
 * Tests a connection with the form's current values, saving nothing:
 * `POST .../datasources/:id/test {config?, secrets?}` (merged over the stored datasource) or,
 * for a new one, `POST .../datasources/test {type, config, secrets}`. -> `{ok, message}`.
 */
export function useTestDatasource(wid: string, id: string | null, type: string) {
  return useMutation({
    mutationFn: (body: TestBody) => {
      if (id) {
        return apiRequest<ConnectionTestResult>(
          'POST',
          `${base(wid)}/${encodeURIComponent(id)}/test`,
          body,
        );
      }
      const secrets: Record<string, { value: string }> = {};
      for (const [k, v] of Object.entries(body.secrets)) if ('value' in v) secrets[k] = v;
      return apiRequest<ConnectionTestResult>('POST', `${base(wid)}/test`, {
        type,
        config: Object.fromEntries(Object.entries(body.config).filter(([, v]) => v !== null)),
        secrets,
      });
    },
  });
}
