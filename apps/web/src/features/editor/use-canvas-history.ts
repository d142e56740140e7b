import type { TAppDefinition } from '@bastion/contracts';
import { useEditorHistory } from './use-editor-history';

/** What the editor showed around a step: restored on undo/redo so the change is in view. */
export interface EditorSpot {
  pageId: string;
  selectedId: string | null;
  /** Set on a rename step: queries are renamed back (and forth) along with the definition. */
  rename?: { from: string; to: string };
}

/**
 * The editor's undoable draft definition (see `editor-history.ts`): `edit` records one step,
 * `undo`/`redo` apply one and bring its page and selection back into view, and undo of a
 * rename renames the queries' references back too (`onRename(from, to)`).
 * @param spot the page and selection shown now (stored with each step).
 */
export function useCanvasHistory({
  initial,
  spot,
  onRestore,
  onRename,
}: {
  initial: TAppDefinition;
  spot: { pageId: string; selectedId: string | null };
  onRestore: (spot: { pageId: string; selectedId: string | null }) => void;
  onRename: (from: string, to: string) => void;
}) {
  const h = useEditorHistory<TAppDefinition, EditorSpot>(initial);

  /** Records `update` as one step; `key` merges quick edits of one field. Returns its id. */
  const edit = (label: string, update: (d: TAppDefinition) => TAppDefinition, key?: string) =>
    h.change(update, { label, meta: { ...spot }, key });

  /** Renames a component or query in the definition as one step that undo reverses. */
  const rename = (
    from: string,
    to: string,
    inDefinition: (d: TAppDefinition, from: string, to: string) => TAppDefinition,
  ) =>
    h.change((d) => inDefinition(d, from, to), {
      label: `rename ${from} to ${to}`,
      meta: { ...spot, rename: { from, to } },
    });

  const restore = (def: TAppDefinition, at: EditorSpot) => {
    const page = def.pages.find((p) => p.id === at.pageId) ?? def.pages[0];
    const selectedId = page.components.some((c) => c.id === at.selectedId) ? at.selectedId : null;
    onRestore({ pageId: page.id, selectedId });
  };

  const undo = () => {
    const e = h.undo((top) => ({ ...spot, rename: top.meta.rename }));
    if (!e) return;
    if (e.meta.rename) onRename(e.meta.rename.to, e.meta.rename.from);
    restore(e.value, e.meta);
  };

  const redo = () => {
    const e = h.redo((top) => ({ ...spot, rename: top.meta.rename }));
    if (!e) return;
    if (e.meta.rename) onRename(e.meta.rename.from, e.meta.rename.to);
    restore(e.value, e.meta);
  };

  /**
   * The "Undo" of a toast: undoes step `stepId` when it is still the newest one; else runs
   * `fallback` (the step is buried under later edits, or already undone).
   */
  const undoStep = (stepId: number, fallback?: () => void) => {
    if (h.undoId() === stepId) undo();
    else fallback?.();
  };

  return {
    definition: h.present,
    undoLabel: h.undoLabel,
    redoLabel: h.redoLabel,
    edit,
    rename,
    undo,
    redo,
    undoStep,
    adjust: h.adjust,
    adjustAll: h.adjustAll,
    reset: h.reset,
  };
}
