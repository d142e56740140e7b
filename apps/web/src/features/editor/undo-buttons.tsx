/**
 * The toolbar's Undo and Redo buttons: named "Undo"/"Redo" for screen readers, with the step
 * they would apply in the tooltip, and disabled when there is none.
 */
export function UndoButtons({
  history,
}: {
  history: {
    undo: () => void;
    redo: () => void;
    undoLabel: string | null;
    redoLabel: string | null;
  };
}) {
  return (
    <span className="undo-buttons">
      <button
        type="button"
        className="ghost"
        aria-label="Undo"
        title={history.undoLabel ? `Undo ${history.undoLabel} (Ctrl/⌘+Z)` : 'Nothing to undo'}
        disabled={!history.undoLabel}
        onClick={history.undo}
      >
        <span aria-hidden="true">↶</span>
      </button>
      <button
        type="button"
        className="ghost"
        aria-label="Redo"
        title={history.redoLabel ? `Redo ${history.redoLabel} (Ctrl/⌘+Shift+Z)` : 'Nothing to redo'}
        disabled={!history.redoLabel}
        onClick={history.redo}
      >
        <span aria-hidden="true">↷</span>
      </button>
    </span>
  );
}
