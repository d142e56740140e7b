import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { toast } from 'sonner';
import { ErrorNotice, errorText } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { isVersionConflict } from '../../lib/api-client';
import { ConflictDialog } from '../editor/conflict-dialog';
import {
  useCreateDatasource,
  useDatasource,
  useDatasourceTypes,
  useDeleteDatasource,
  useEgressInfo,
  useTestDatasource,
  useUpdateDatasource,
} from './datasource-api';
import { DatasourceForm } from './datasource-form';
import type { ConnectionTestResult, UpdateDatasourceBody } from './datasource-model';
import { EgressNotice } from './egress-notice';

function TestResult({
  result,
  error,
}: {
  result: ConnectionTestResult | undefined;
  error: unknown;
}) {
  if (error) return <ErrorNotice error={error} title="Connection failed" />;
  if (!result) return null;
  return (
    <p
      role="status"
      className={`notice ${result.ok ? 'notice-ok' : 'notice-error'}`}
      data-testid="test-result"
    >
      {result.ok ? 'Connected: ' : 'Connection failed: '}
      {result.message}
    </p>
  );
}

/** `/w/:workspaceId/datasources/new`: pick a type, fill the generated form, test, create. */
export function DatasourceCreatePage() {
  const { workspaceId = '' } = useParams();
  const navigate = useNavigate();
  const types = useDatasourceTypes();
  const egress = useEgressInfo();
  const create = useCreateDatasource(workspaceId);
  const [type, setType] = useState<string>('');
  const spec = types.data?.find((t) => t.type === (type || types.data?.[0]?.type));
  const test = useTestDatasource(workspaceId, null, spec?.type ?? '');
  if (types.isPending) return <Loading label="Loading datasource types…" />;
  if (types.isError) return <ErrorNotice error={types.error} />;
  return (
    <section className="card">
      <p>
        <Link to={`/w/${workspaceId}/datasources`}>← Datasources</Link>
      </p>
      <h1>New datasource</h1>
      <EgressNotice addresses={egress.data?.publicIps ?? []} />
      <label>
        Type
        <select
          value={spec?.type ?? ''}
          onChange={(e) => {
            setType(e.target.value);
            test.reset();
          }}
        >
          {types.data.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      {spec && (
        <DatasourceForm
          key={spec.type}
          spec={spec}
          submitting={create.isPending}
          testing={test.isPending}
          onTest={(body) => test.mutate(body)}
          onCreate={(body) =>
            create.mutate(body, {
              onSuccess: (ds) => {
                toast.success(`Datasource "${ds.name}" created`);
                void navigate(`/w/${workspaceId}/datasources/${ds.id}`);
              },
              onError: (e) => toast.error(errorText(e)),
            })
          }
        />
      )}
      <TestResult result={test.data} error={test.error} />
      {create.isError && <ErrorNotice error={create.error} title="Not saved" />}
    </section>
  );
}

/** `/w/:workspaceId/datasources/:datasourceId`: edit, test the connection, delete. */
export function DatasourceEditPage() {
  const { workspaceId = '', datasourceId = '' } = useParams();
  const navigate = useNavigate();
  const types = useDatasourceTypes();
  const egress = useEgressInfo();
  const ds = useDatasource(workspaceId, datasourceId);
  const update = useUpdateDatasource(workspaceId, datasourceId);
  const test = useTestDatasource(workspaceId, datasourceId, ds.data?.type ?? '');
  const remove = useDeleteDatasource(workspaceId);
  // Remounts the form after each save, so typed secrets are dropped and modes return to "keep".
  const [generation, setGeneration] = useState(0);
  // The version the form was loaded from (sent as If-Match; until the first save, the loaded
  // copy's, which nothing on this page refetches), and a save refused as stale.
  const [formVersion, setFormVersion] = useState<number | undefined>(undefined);
  const [conflict, setConflict] = useState<{
    currentVersion: number;
    body: UpdateDatasourceBody;
  } | null>(null);

  if (types.isPending || ds.isPending) return <Loading label="Loading datasource…" />;
  if (types.isError) return <ErrorNotice error={types.error} />;
  if (ds.isError) return <ErrorNotice error={ds.error} />;
  const spec = types.data.find((t) => t.type === ds.data.type);
  if (!spec) return <ErrorNotice error={new Error(`Unknown datasource type "${ds.data.type}".`)} />;

  const save = (body: UpdateDatasourceBody, version: number) =>
    update.mutate(
      { body, version },
      {
        onSuccess: (saved) => {
          setFormVersion(saved.version);
          setConflict(null);
          setGeneration((g) => g + 1);
          test.reset();
          toast.success('Datasource saved');
        },
        onError: (e) => {
          if (isVersionConflict(e)) setConflict({ currentVersion: e.currentVersion, body });
          else toast.error(errorText(e));
        },
      },
    );
  const reloadTheirs = async () => {
    const fresh = await ds.refetch();
    setConflict(null);
    update.reset();
    if (fresh.data) setFormVersion(fresh.data.version);
    setGeneration((g) => g + 1);
  };

  return (
    <section className="card">
      <p>
        <Link to={`/w/${workspaceId}/datasources`}>← Datasources</Link>
      </p>
      <h1>
        {ds.data.name} <span className="badge">{spec.label}</span>
      </h1>
      <EgressNotice addresses={egress.data?.publicIps ?? []} />
      {ds.data.needsReentry && (
        <div role="alert" className="notice notice-warn">
          Re-enter credentials: the stored credentials of this datasource can no longer be read (the
          encryption key changed or the stored value is damaged). Enter them again and save.
        </div>
      )}
      <DatasourceForm
        key={`${ds.data.id}-${generation}`}
        spec={spec}
        initial={ds.data}
        submitting={update.isPending}
        testing={test.isPending}
        onTest={(body) => test.mutate(body)}
        onUpdate={(body) => save(body, formVersion ?? ds.data.version)}
      >
        <button
          type="button"
          className="secondary danger"
          disabled={remove.isPending}
          onClick={() => {
            if (!window.confirm(`Delete the datasource "${ds.data.name}"?`)) return;
            remove.mutate(datasourceId, {
              onSuccess: () => {
                toast.success('Datasource deleted');
                void navigate(`/w/${workspaceId}/datasources`);
              },
              onError: (e) => toast.error(errorText(e)),
            });
          }}
        >
          Delete
        </button>
      </DatasourceForm>
      <TestResult result={test.data} error={test.error} />
      {update.isError && <ErrorNotice error={update.error} title="Not saved" />}
      <ConflictDialog
        conflict={conflict && { what: 'app', currentVersion: conflict.currentVersion }}
        busy={update.isPending}
        title="This datasource was changed elsewhere"
        subject="This datasource"
        onReloadTheirs={() => void reloadTheirs()}
        onKeepMine={() => conflict && save(conflict.body, conflict.currentVersion)}
        onClose={() => setConflict(null)}
      />
    </section>
  );
}
