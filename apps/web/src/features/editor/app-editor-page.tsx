import type {
  TApp,
  TAppRevision,
  TComponent,
  TComponentType,
  TQueryParamSpec,
} from '@bastion/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { toast } from 'sonner';
import { ErrorNotice, errorText } from '../../components/error-notice';
import { KeyboardHelp, useShortcut, type Shortcut } from '../../components/keyboard-shortcuts';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import {
  createQuery,
  deleteQuery,
  fetchApp,
  publishApp,
  restoreRevision,
  runSavedQuery,
  updateApp,
  updateQuery,
  useApp,
} from '../apps/app-api';
import { allComponents, pageOrFirst } from '../apps/app-pages';
import { useAppRuntime, type RuntimeQuery } from '../apps/app-runtime';
import { newComponent } from '../apps/component-catalog';
import { useDatasources } from '../datasources/datasource-api';
import type { DatasourceView } from '../datasources/datasource-model';
import { draftFromSaved, toUpdateBody, type QueryDraft } from '../queries/query-draft';
import { QueryPanel } from '../queries/query-panel';
import { Canvas } from './canvas';
import { ConflictDialog } from './conflict-dialog';
import { HistoryPanel } from './history-panel';
import { PublishStatus } from './publish-status';
import { useAppVersions } from './use-app-versions';
import { PageBar } from './page-bar';
import { describeEdit, layoutLabel } from './edit-labels';
import { UndoButtons } from './undo-buttons';
import { useCanvasHistory } from './use-canvas-history';
import { useUndoShortcuts } from './use-editor-shortcuts';
import {
  addPage,
  movePage,
  removePage,
  renamePage,
  withAllComponents,
  withLayouts,
  withPageComponents,
} from './page-operations';
import { Palette } from './palette';
import { PropertyPanel } from './property-panel';
import { renameInDefinition, renameInQuery } from './rename-references';
import { useAutosave, type SaveStatus } from './use-autosave';

const SHORTCUTS: Shortcut[] = [
  { keys: 'Ctrl/⌘ + Enter', description: 'Run the selected query' },
  { keys: 'Ctrl/⌘ + S', description: 'Save now (changes also save automatically)' },
  {
    keys: 'Ctrl/⌘ + Z',
    description: 'Undo a canvas or property change (in a text field: its own)',
  },
  { keys: 'Ctrl/⌘ + Shift + Z, Ctrl + Y', description: 'Redo' },
  { keys: 'Tab', description: 'Move through the components on the canvas (focus selects)' },
  { keys: 'Enter', description: 'Edit the focused component in the property panel' },
  { keys: 'Arrow keys', description: 'Move the selected component' },
  { keys: 'Shift + Arrow keys', description: 'Resize the selected component' },
  { keys: 'Delete', description: 'Delete the selected component (undoable)' },
  { keys: 'Escape', description: 'Deselect' },
];

const STATUS_TEXT: Record<SaveStatus, string> = {
  saved: 'All changes saved',
  unsaved: 'Unsaved changes',
  saving: 'Saving…',
  error: 'Not saved',
};

function combine(a: SaveStatus, b: SaveStatus): SaveStatus {
  for (const s of ['error', 'saving', 'unsaved'] as const) if (a === s || b === s) return s;
  return 'saved';
}

function Editor({
  wid,
  app,
  datasources,
  onReload,
}: {
  wid: string;
  app: TApp;
  datasources: DatasourceView[];
  /** Loads the server's current state and remounts the editor with it (local edits dropped). */
  onReload: () => Promise<void>;
}) {
  const [name, setName] = useState(app.name);
  const [queries, setQueries] = useState<QueryDraft[]>(() => app.queries.map(draftFromSaved));
  const [selectedPageId, setSelectedPageId] = useState(app.definition.pages[0].id);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // The draft definition with undo/redo; every canvas, property and page edit is one step.
  const history = useCanvasHistory({
    initial: app.definition,
    spot: { pageId: selectedPageId, selectedId },
    onRestore: (spot) => {
      setSelectedPageId(spot.pageId);
      setSelectedId(spot.selectedId);
    },
    onRename: (from, to) => setQueries((qs) => qs.map((q) => renameInQuery(q, from, to))),
  });
  const { definition, edit } = history;
  const [selectedQueryId, setSelectedQueryId] = useState<string | null>(app.queries[0]?.id ?? null);
  const [draggingType, setDraggingType] = useState<TComponentType | null>(null);
  const [saveErrors, setSaveErrors] = useState<Record<string, string>>({});
  const [publishedAt, setPublishedAt] = useState(app.publishedAt);
  const [publishing, setPublishing] = useState(false);
  const [unpublishedChanges, setUnpublishedChanges] = useState(app.unpublishedChanges);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [resolving, setResolving] = useState(false);
  const versions = useAppVersions(app);
  const { guard, appVersion, queryVersions } = versions;
  // The header's publish state after query saves (the app's own saves return it).
  const refreshPublishState = useCallback(async () => {
    try {
      const current = await fetchApp(wid, app.id);
      setUnpublishedChanges(current.unpublishedChanges);
      setPublishedAt(current.publishedAt);
    } catch {
      // Only the header's hint; the next save tries again.
    }
  }, [wid, app.id]);
  // The canvas edits one page; bindings, queries and ids span every page of the app.
  const page = pageOrFirst(definition, selectedPageId);
  const pageId = page.id;
  const components = page.components;
  const appComponents = useMemo(() => allComponents(definition), [definition]);

  const typeHint = useCallback(
    (param: string): TQueryParamSpec['type'] => {
      const owner = appComponents.find((c) => c.id === param.split('__')[0]);
      return owner?.type === 'numberInput' ? 'number' : 'string';
    },
    [appComponents],
  );

  // --- autosave: the draft definition, and each query that changed -----------------------------
  const appSave = useAutosave({ name, definition }, async (v) => {
    const saved = await guard('app', undefined, () =>
      updateApp(
        wid,
        app.id,
        { name: v.name.trim() || app.name, definition: v.definition },
        appVersion.current,
      ),
    );
    appVersion.current = saved.version;
    setUnpublishedChanges(saved.unpublishedChanges);
  });
  const savedQueries = useRef(
    new Map(app.queries.map((q) => [q.id, JSON.stringify(toUpdateBodySafe(draftFromSaved(q)))])),
  );
  const querySave = useAutosave(queries, async (qs) => {
    const errors: Record<string, string> = {};
    let savedAny = false;
    for (const q of qs) {
      let body;
      try {
        body = toUpdateBody(q, typeHint);
        if (q.kind === 'sql' && q.sql.trim() === '') throw new Error('The SQL is empty');
      } catch (e) {
        errors[q.id] = e instanceof Error ? e.message : 'Invalid query';
        continue;
      }
      const s = JSON.stringify(body);
      if (savedQueries.current.get(q.id) === s) continue;
      try {
        const saved = await guard('query', q.id, () =>
          updateQuery(wid, app.id, q.id, body, queryVersions.current.get(q.id) ?? 1),
        );
        queryVersions.current.set(q.id, saved.version);
        savedQueries.current.set(q.id, s);
        savedAny = true;
      } catch (e) {
        errors[q.id] = errorText(e);
      }
    }
    setSaveErrors(errors);
    if (savedAny) void refreshPublishState();
    if (Object.keys(errors).length > 0) throw new Error(Object.values(errors)[0]);
  });
  const status = combine(appSave.status, querySave.status);
  const flushAll = useCallback(async () => {
    await Promise.all([appSave.flush(), querySave.flush()]);
  }, [appSave, querySave]);

  useEffect(() => {
    if (status === 'saved') return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [status]);

  // --- runtime: the canvas is live; runs use the saved draft ---------------------------------
  const runtimeQueries: RuntimeQuery[] = useMemo(
    () =>
      queries.map((q) => {
        const body = toUpdateBodySafe(q, typeHint);
        return { id: q.id, name: q.name, params: body?.params ?? [] };
      }),
    [queries, typeHint],
  );
  const runner = useCallback(
    async (queryId: string, params: Record<string, unknown>) => {
      await querySave.flush();
      return runSavedQuery(wid, app.id, queryId, params, true);
    },
    [querySave, wid, app.id],
  );
  const runtime = useAppRuntime({
    components: appComponents,
    queries: runtimeQueries,
    runner,
    autoRun: false,
  });

  const runQuery = useCallback(
    (id: string) => {
      setSelectedQueryId(id);
      void runtime.runQuery(id).then((ok) => {
        if (!ok) toast.error('The query failed; see the query panel.');
      });
    },
    [runtime],
  );

  // --- component operations ----------------------------------------------------------------
  // Component ids must be unique across all pages (the contract refuses duplicates).
  const allIds = useMemo(
    () => [...appComponents.map((c) => c.id), ...queries.map((q) => q.name)],
    [appComponents, queries],
  );
  const addComponent = (type: TComponentType, at?: { x: number; y: number }) => {
    const c = newComponent(type, components, allIds, at);
    if (type === 'table' || type === 'chart') {
      const q = queries.find((x) => x.id === selectedQueryId) ?? queries[0];
      if (q) c.props = { ...c.props, data: `{{ ${q.name}.data }}` };
    }
    edit(`add ${c.id}`, (d) => withPageComponents(d, pageId, (cs) => [...cs, c]));
    setSelectedId(c.id);
  };
  const updateComponent = (next: TComponent) => {
    const before = components.find((c) => c.id === next.id);
    const { label, key } = describeEdit(before, next);
    edit(
      label,
      (d) => withPageComponents(d, pageId, (cs) => cs.map((c) => (c.id === next.id ? next : c))),
      key,
    );
  };
  // Undoable, so no confirmation: the toast's Undo (or Ctrl+Z) brings the component back.
  const deleteComponent = (id: string) => {
    const removed = components.find((c) => c.id === id);
    const step = edit(`delete ${id}`, (d) =>
      withPageComponents(d, pageId, (cs) => cs.filter((c) => c.id !== id)),
    );
    setSelectedId(null);
    if (!step || !removed) return;
    const from = pageId;
    // When later edits buried the step, the toast's Undo puts the component back as a new step.
    // (Nothing happens when it is already back.)
    const putBack = () =>
      edit(`restore ${id}`, (d) =>
        allComponents(d).some((c) => c.id === id)
          ? d
          : withPageComponents(d, from, (cs) => [...cs, removed]),
      );
    toast(`Deleted ${id}`, {
      action: { label: 'Undo', onClick: () => history.undoStep(step, putBack) },
    });
  };
  const renameEverywhere = (from: string, to: string) => {
    history.rename(from, to, renameInDefinition);
    setQueries((qs) => qs.map((q) => renameInQuery(q, from, to)));
  };
  const onLayout = (layouts: Record<string, TComponent['layout']>, reason: 'user' | 'sync') => {
    if (reason === 'sync') history.adjust((d) => withLayouts(d, pageId, layouts));
    else edit(layoutLabel(components, layouts), (d) => withLayouts(d, pageId, layouts));
  };
  const selected = components.find((c) => c.id === selectedId) ?? null;
  const nudge = (dx: number, dy: number, resize: boolean) => {
    if (!selected) return;
    const l = selected.layout;
    const layout = resize
      ? { ...l, w: Math.max(1, Math.min(12 - l.x, l.w + dx)), h: Math.max(1, l.h + dy) }
      : { ...l, x: Math.max(0, Math.min(12 - l.w, l.x + dx)), y: Math.max(0, l.y + dy) };
    updateComponent({ ...selected, layout });
  };
  const editInPanel = (id: string) => {
    setSelectedId(id);
    // After the panel shows `id` (it remounts per component), focus its first field.
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>('.property-panel input, .property-panel select')?.focus(),
    );
  };

  // --- pages --------------------------------------------------------------------------------
  const selectPage = (id: string) => {
    setSelectedPageId(id);
    setSelectedId(null);
  };
  const onAddPage = () => {
    const { page: added } = addPage(definition);
    if (!added) return;
    edit(`add ${added.name}`, (d) => addPage(d).definition);
    selectPage(added.id);
  };
  const onDeletePage = (id: string) => {
    const i = definition.pages.findIndex((p) => p.id === id);
    const neighbour = definition.pages[i + 1] ?? definition.pages[i - 1];
    edit(`delete ${definition.pages[i]?.name ?? 'page'}`, (d) => removePage(d, id));
    if (id === pageId && neighbour) selectPage(neighbour.id);
  };

  // --- queries ------------------------------------------------------------------------------
  const addQuery = async () => {
    const ds = datasources[0];
    if (!ds) return;
    const qname = nextQueryName(allIds);
    try {
      const saved = await createQuery(wid, app.id, {
        name: qname,
        datasourceId: ds.id,
        body: ds.type === 'rest' ? { method: 'GET', path: '' } : { sql: 'SELECT 1' },
        params: [],
      });
      const draft = draftFromSaved(saved);
      queryVersions.current.set(saved.id, saved.version);
      void refreshPublishState();
      savedQueries.current.set(saved.id, JSON.stringify(toUpdateBodySafe(draft)));
      setQueries((qs) => [...qs, draft]);
      setSelectedQueryId(saved.id);
    } catch (e) {
      toast.error(errorText(e));
    }
  };
  const removeQuery = async (id: string) => {
    try {
      await guard('query', id, () => deleteQuery(wid, app.id, id, queryVersions.current.get(id)));
      setQueries((qs) => qs.filter((q) => q.id !== id));
      savedQueries.current.delete(id);
      queryVersions.current.delete(id);
      void refreshPublishState();
      // Not a step, and no snapshot keeps an event pointing at the deleted query.
      history.adjustAll((d) =>
        withAllComponents(d, (cs) =>
          cs.map((c) => ({ ...c, events: (c.events ?? []).filter((e) => e.queryId !== id) })),
        ),
      );
      setSelectedQueryId(null);
      toast.success('Query deleted');
    } catch (e) {
      toast.error(errorText(e));
    }
  };

  const publish = async () => {
    setPublishing(true);
    try {
      await flushAll();
      await guard('app', undefined, () => publishApp(wid, app.id, appVersion.current));
      setPublishedAt(new Date().toISOString());
      setUnpublishedChanges(null);
      toast.success('Published: viewers now see this version');
    } catch (e) {
      toast.error(`Not published: ${errorText(e)}`);
    } finally {
      setPublishing(false);
    }
  };

  // --- versions: the 409 dialog and the history ---------------------------------------------
  const reloadTheirs = async () => {
    setResolving(true);
    try {
      versions.setConflict(null);
      await onReload();
    } catch (e) {
      toast.error(`Not reloaded: ${errorText(e)}`);
    } finally {
      setResolving(false);
    }
  };
  const keepMine = async () => {
    setResolving(true);
    versions.keepMine();
    try {
      await flushAll();
      toast.success('Saved your version');
    } catch (e) {
      toast.error(`Not saved: ${errorText(e)}`);
    } finally {
      setResolving(false);
    }
  };
  const restore = async (revision: TAppRevision) => {
    // Local changes are saved first, so the history keeps them too.
    await flushAll().catch(() => undefined);
    try {
      await restoreRevision(wid, app.id, revision.id);
      toast.success(`Restored version ${revision.version}`);
      await onReload();
    } catch (e) {
      toast.error(`Not restored: ${errorText(e)}`);
    }
  };

  // --- keyboard -----------------------------------------------------------------------------
  const save = useCallback(() => {
    flushAll().then(
      () => toast.success('Saved'),
      (e: unknown) => toast.error(`Not saved: ${errorText(e)}`),
    );
  }, [flushAll]);
  useShortcut({ key: 's', mod: true }, save);
  const runSelected = useCallback(
    () => selectedQueryId && runQuery(selectedQueryId),
    [selectedQueryId, runQuery],
  );
  useShortcut({ key: 'Enter', mod: true }, runSelected);
  useShortcut({ key: 'Escape' }, () => setSelectedId(null));
  useUndoShortcuts(history.undo, history.redo);
  useShortcut({ key: 'Delete' }, () => selected && deleteComponent(selected.id), Boolean(selected));
  useShortcut(
    { key: 'Backspace' },
    () => selected && deleteComponent(selected.id),
    Boolean(selected),
  );
  useShortcut({ key: 'ArrowLeft' }, () => nudge(-1, 0, false), Boolean(selected));
  useShortcut({ key: 'ArrowRight' }, () => nudge(1, 0, false), Boolean(selected));
  useShortcut({ key: 'ArrowUp' }, () => nudge(0, -1, false), Boolean(selected));
  useShortcut({ key: 'ArrowDown' }, () => nudge(0, 1, false), Boolean(selected));
  useShortcut({ key: 'ArrowLeft', shift: true }, () => nudge(-1, 0, true), Boolean(selected));
  useShortcut({ key: 'ArrowRight', shift: true }, () => nudge(1, 0, true), Boolean(selected));
  useShortcut({ key: 'ArrowUp', shift: true }, () => nudge(0, -1, true), Boolean(selected));
  useShortcut({ key: 'ArrowDown', shift: true }, () => nudge(0, 1, true), Boolean(selected));

  const anyRunning = Object.values(runtime.queryStates).some((s) => s.isLoading);
  return (
    <div className="editor">
      <header className="editor-toolbar">
        <Link to={`/w/${wid}/apps`} aria-label="Back to apps">
          ←
        </Link>
        <label className="app-name">
          <span className="visually-hidden">App name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} />
        </label>
        <span className={`save-status save-${status}`} role="status" data-testid="save-status">
          {STATUS_TEXT[status]}
        </span>
        <span className="grow" />
        <PublishStatus publishedAt={publishedAt} unpublishedChanges={unpublishedChanges} />
        <button type="button" className="secondary" onClick={() => setHistoryOpen(true)}>
          History
        </button>
        {publishedAt && (
          <a
            href={`/view/${wid}/${app.id}?page=${encodeURIComponent(pageId)}`}
            target="_blank"
            rel="noreferrer"
          >
            Open viewer
          </a>
        )}
        <button type="button" onClick={() => void publish()} disabled={publishing}>
          {publishing ? 'Publishing…' : 'Publish'}
        </button>
        <UndoButtons history={history} />
        <KeyboardHelp shortcuts={SHORTCUTS} />
      </header>
      {anyRunning && (
        <div className="progress-bar" role="progressbar" aria-label="Running queries" />
      )}
      <PageBar
        pages={definition.pages}
        selectedId={pageId}
        onSelect={selectPage}
        onAdd={onAddPage}
        onRename={(id, pageName) => edit('rename page', (d) => renamePage(d, id, pageName))}
        onMove={(id, delta) => edit('move page', (d) => movePage(d, id, delta))}
        onDelete={onDeletePage}
      />
      <div className="editor-main">
        <Palette onAdd={(t) => addComponent(t)} onDragType={setDraggingType} />
        <Canvas
          key={pageId}
          components={components}
          selectedId={selectedId}
          onSelect={setSelectedId}
          onLayout={onLayout}
          onEdit={editInPanel}
          onDropNew={(t, at) => {
            addComponent(t, at);
            setDraggingType(null);
          }}
          draggingType={draggingType}
          runtime={runtime}
        />
        <PropertyPanel
          key={selectedId ?? 'none'}
          component={selected}
          allIds={allIds}
          queries={queries}
          scope={runtime.scope}
          onChange={updateComponent}
          onRename={(from, to) => {
            renameEverywhere(from, to);
            setSelectedId(to);
          }}
          onDelete={deleteComponent}
        />
      </div>
      <QueryPanel
        queries={queries}
        selectedId={selectedQueryId}
        onSelect={setSelectedQueryId}
        onChange={(d) => setQueries((qs) => qs.map((q) => (q.id === d.id ? d : q)))}
        onCreate={() => void addQuery()}
        onDelete={(id) => void removeQuery(id)}
        takenNames={allIds}
        onRename={renameEverywhere}
        onRun={runQuery}
        datasources={datasources}
        states={runtime.queryStates}
        scope={runtime.scope}
        saveErrors={saveErrors}
      />
      <ConflictDialog
        conflict={versions.conflict}
        busy={resolving}
        onReloadTheirs={() => void reloadTheirs()}
        onKeepMine={() => void keepMine()}
        onClose={() => versions.setConflict(null)}
      />
      <HistoryPanel
        wid={wid}
        appId={app.id}
        open={historyOpen}
        onClose={() => setHistoryOpen(false)}
        onRestore={restore}
      />
    </div>
  );
}

function toUpdateBodySafe(d: QueryDraft, hint?: (n: string) => TQueryParamSpec['type']) {
  try {
    return toUpdateBody(d, hint);
  } catch {
    return null;
  }
}

function nextQueryName(taken: string[]): string {
  for (let n = 1; ; n++) if (!taken.includes(`query${n}`)) return `query${n}`;
}

/** `/w/:workspaceId/apps/:appId/edit`: the app editor. */
export function AppEditorPage() {
  const { workspaceId = '', appId = '' } = useParams();
  const me = useMe();
  const app = useApp(workspaceId, appId);
  const datasources = useDatasources(workspaceId);
  // Bumped by a reload (409 "Reload theirs", a restore): remounts the editor on fresh data.
  const [generation, setGeneration] = useState(0);
  const { refetch } = app;
  const reload = useCallback(async () => {
    const fresh = await refetch();
    if (fresh.isError) throw fresh.error;
    setGeneration((g) => g + 1);
  }, [refetch]);
  if (app.isPending || me.isPending) return <Loading label="Opening the editor…" />;
  if (app.isError) return <ErrorNotice error={app.error} />;
  return (
    <Editor
      key={`${app.data.id}:${generation}`}
      wid={workspaceId}
      app={app.data}
      datasources={datasources.data ?? []}
      onReload={reload}
    />
  );
}

export { AppEditorPage as Component };
