import { EMPTY_APP_DEFINITION } from '@bastion/contracts';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { toast } from 'sonner';
import { ErrorNotice, errorText } from '../../components/error-notice';
import { EmptyState, Loading } from '../../components/loading';
import { useCurrentWorkspace } from '../workspaces/use-current-workspace';
import { useApps, useCreateApp, useDeleteApp } from './app-api';

/** `/w/:workspaceId/apps`: the workspace's apps; create one and open it in the editor. */
export function AppListPage() {
  const { workspaceId = '' } = useParams();
  const navigate = useNavigate();
  const apps = useApps(workspaceId);
  const create = useCreateApp(workspaceId);
  const remove = useDeleteApp(workspaceId);
  const [name, setName] = useState('');
  // Viewers see published apps and open them; editing is for editors and admins.
  const canEdit = useCurrentWorkspace().membership?.role !== 'viewer';
  return (
    <section className="card wide">
      <header className="page-header">
        <h1>Apps</h1>
      </header>
      {canEdit && (
        <form
          className="inline-form"
          aria-label="New app"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(
              { name: name.trim(), definition: EMPTY_APP_DEFINITION },
              {
                onSuccess: (app) => {
                  toast.success(`App "${app.name}" created`);
                  void navigate(`/w/${workspaceId}/apps/${app.id}/edit`);
                },
                onError: (err) => toast.error(errorText(err)),
              },
            );
          }}
        >
          <label>
            New app name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={120}
            />
          </label>
          <button type="submit" disabled={create.isPending || name.trim() === ''}>
            {create.isPending ? 'Creating…' : 'Create app'}
          </button>
        </form>
      )}
      {apps.isPending && <Loading label="Loading apps…" />}
      {apps.isError && <ErrorNotice error={apps.error} />}
      {apps.isSuccess && apps.data.length === 0 && (
        <EmptyState title="No apps yet">
          {canEdit ? 'Give your first app a name above.' : 'Nothing has been published here yet.'}
        </EmptyState>
      )}
      {apps.isSuccess && apps.data.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Published</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {apps.data.map((a) => (
              <tr key={a.id}>
                <td>
                  {canEdit ? (
                    <Link to={`/w/${workspaceId}/apps/${a.id}/edit`}>{a.name}</Link>
                  ) : (
                    a.name
                  )}
                </td>
                <td>
                  {a.publishedAt ? (
                    new Date(a.publishedAt).toLocaleString()
                  ) : (
                    <span className="muted">Draft only</span>
                  )}
                </td>
                <td className="actions">
                  {a.publishedAt && <Link to={`/view/${workspaceId}/${a.id}`}>Open</Link>}
                  {canEdit && (
                    <button
                      type="button"
                      className="ghost small danger"
                      onClick={() => {
                        if (!window.confirm(`Delete the app "${a.name}" and its queries?`)) return;
                        remove.mutate(a.id, {
                          onSuccess: () => toast.success('App deleted'),
                          onError: (err) => toast.error(errorText(err)),
                        });
                      }}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
