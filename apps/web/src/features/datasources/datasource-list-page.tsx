import { Link, useParams } from 'react-router';
import { ErrorNotice } from '../../components/error-notice';
import { EmptyState, Loading } from '../../components/loading';
import { useDatasources, useDatasourceTypes, useEgressInfo } from './datasource-api';
import { EgressNotice } from './egress-notice';

/** `/w/:workspaceId/datasources`: the workspace's datasources. */
export function DatasourceListPage() {
  const { workspaceId = '' } = useParams();
  const list = useDatasources(workspaceId);
  const types = useDatasourceTypes();
  const egress = useEgressInfo();
  const labelOf = (type: string) => types.data?.find((t) => t.type === type)?.label ?? type;
  return (
    <section className="card wide">
      <header className="page-header">
        <h1>Datasources</h1>
        <Link className="button" to={`/w/${workspaceId}/datasources/new`}>
          New datasource
        </Link>
      </header>
      <EgressNotice addresses={egress.data?.publicIps ?? []} />
      {list.isPending && <Loading label="Loading datasources…" />}
      {list.isError && <ErrorNotice error={list.error} />}
      {list.isSuccess && list.data.length === 0 && (
        <EmptyState title="No datasources yet">
          Connect a PostgreSQL, MySQL or SQLite database or an HTTP API.{' '}
          <Link to={`/w/${workspaceId}/datasources/new`}>Create the first one</Link>.
        </EmptyState>
      )}
      {list.isSuccess && list.data.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Credentials</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((ds) => {
              const secrets = Object.values(ds.secrets);
              return (
                <tr key={ds.id}>
                  <td>
                    <Link to={`/w/${workspaceId}/datasources/${ds.id}`}>{ds.name}</Link>
                  </td>
                  <td>{labelOf(ds.type)}</td>
                  <td>
                    {ds.needsReentry ? (
                      <span className="badge badge-warn">Re-enter credentials</span>
                    ) : secrets.some((s) => s.isSet) ? (
                      <span className="badge badge-ok">Encrypted on the server side</span>
                    ) : (
                      <span className="badge">None</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
