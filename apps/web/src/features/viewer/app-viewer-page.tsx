import type { TComponent, TPage, TPublishedApp } from '@bastion/contracts';
import { useCallback, useMemo } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { Toaster } from 'sonner';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { ApiError } from '../../lib/api-client';
import { runSavedQuery, usePublishedApp } from '../apps/app-api';
import { allComponents, pageOrFirst } from '../apps/app-pages';
import { useAppRuntime } from '../apps/app-runtime';
import { AppWidget } from '../apps/app-widget';
import { QueryStatusBar } from './query-status-bar';

/** Places components on the 12-column grid with CSS grid: no drag-and-drop code for viewers. */
export function AppGrid({
  components,
  children,
}: {
  components: TComponent[];
  children: (c: TComponent) => React.ReactNode;
}) {
  const sorted = [...components].sort((a, b) => a.layout.y - b.layout.y || a.layout.x - b.layout.x);
  return (
    <div className="app-grid">
      {sorted.map((c) => (
        <div
          key={c.id}
          className="app-grid-item"
          data-component={c.id}
          style={{
            gridColumn: `${c.layout.x + 1} / span ${c.layout.w}`,
            gridRow: `${c.layout.y + 1} / span ${c.layout.h}`,
          }}
        >
          {children(c)}
        </div>
      ))}
    </div>
  );
}

/** Links to each page as `?page=<pageId>`, so a page can be bookmarked and shared. */
function PageNav({ pages, currentId }: { pages: TPage[]; currentId: string }) {
  return (
    <nav className="viewer-pages" aria-label="Pages">
      <ul>
        {pages.map((p) => (
          <li key={p.id}>
            <Link
              to={{ search: `?page=${encodeURIComponent(p.id)}` }}
              aria-current={p.id === currentId ? 'page' : undefined}
            >
              {p.name}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * The running app: the page named by `?page=` (the first page when it is missing or unknown),
 * with page links only when there is more than one page. The runtime spans every page, so
 * input values survive a page change and bindings keep reading the whole app.
 */
function PublishedApp({ workspaceId, app }: { workspaceId: string; app: TPublishedApp }) {
  const [search] = useSearchParams();
  const page = pageOrFirst(app.definition, search.get('page'));
  const runner = useCallback(
    (queryId: string, params: Record<string, unknown>) =>
      runSavedQuery(workspaceId, app.id, queryId, params, false),
    [workspaceId, app.id],
  );
  const components = useMemo(() => allComponents(app.definition), [app.definition]);
  const runtime = useAppRuntime({ components, queries: app.queries, runner, autoRun: true });
  return (
    <>
      {app.definition.pages.length > 1 && (
        <PageNav pages={app.definition.pages} currentId={page.id} />
      )}
      <QueryStatusBar queries={app.queries} states={runtime.queryStates} />
      <AppGrid components={page.components}>
        {(c) => <AppWidget component={c} runtime={runtime} />}
      </AppGrid>
    </>
  );
}

/**
 * `/view/:workspaceId/:appId[?page=<pageId>]`: the published app for end users. No editor chrome and no query
 * text: the page knows query ids, names and parameters only, and runs by id with values.
 */
export function AppViewerPage() {
  const { workspaceId = '', appId = '' } = useParams();
  const location = useLocation();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const app = usePublishedApp(workspaceId, appId, signedIn);
  const signInHref = `/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`;

  let body: React.ReactNode;
  if (me.isPending) body = <Loading label="Loading the app…" />;
  else if (me.isError) body = <ErrorNotice error={me.error} />;
  else if (!signedIn) {
    body = (
      <div className="card narrow">
        <h1>Sign in to open this app</h1>
        <Link to={signInHref}>Sign in</Link>
      </div>
    );
  } else if (app.isPending) {
    body = <Loading label="Loading the app…" />;
  } else if (app.isError) {
    const status = app.error instanceof ApiError ? app.error.status : 0;
    body =
      status === 404 ? (
        <div className="card narrow">
          <h1>App not found</h1>
          <p>It does not exist, is not published yet, or you are not a member of its workspace.</p>
        </div>
      ) : (
        <ErrorNotice error={app.error} />
      );
  } else {
    body = (
      <>
        <header className="viewer-header">
          <h1>{app.data.name}</h1>
          <small className="muted">
            Published {new Date(app.data.publishedAt).toLocaleString()}
          </small>
        </header>
        <PublishedApp workspaceId={workspaceId} app={app.data} />
      </>
    );
  }
  return (
    <main className="viewer">
      <Toaster position="bottom-right" />
      {body}
    </main>
  );
}

export { AppViewerPage as Component };
