import type { TPage } from '@bastion/contracts';
import { useRef, useState } from 'react';
import { Dialog } from '../../components/dialog';
import { MAX_PAGES } from './page-operations';

/**
 * The editor's page bar: pick the page the canvas edits, add one, rename it (double-click the
 * tab or "Rename"), move it, or delete it after a confirmation. The last page has no delete.
 */
export function PageBar({
  pages,
  selectedId,
  onSelect,
  onAdd,
  onRename,
  onMove,
  onDelete,
}: {
  pages: TPage[];
  selectedId: string;
  onSelect: (id: string) => void;
  onAdd: () => void;
  onRename: (id: string, name: string) => void;
  onMove: (id: string, delta: -1 | 1) => void;
  onDelete: (id: string) => void;
}) {
  const [renaming, setRenaming] = useState<{ id: string; value: string } | null>(null);
  const [deleting, setDeleting] = useState<TPage | null>(null);
  // After a rename, keyboard focus returns to the page's tab instead of the document body.
  const focusAfterRename = useRef<string | null>(null);
  const index = pages.findIndex((p) => p.id === selectedId);
  const selected = pages[index] ?? null;

  const commitRename = () => {
    if (!renaming) return;
    if (renaming.value.trim() !== '') onRename(renaming.id, renaming.value);
    focusAfterRename.current = renaming.id;
    setRenaming(null);
  };

  return (
    <nav className="page-bar" aria-label="Pages">
      <ul>
        {pages.map((p) => (
          <li key={p.id}>
            {renaming?.id === p.id ? (
              <form
                className="page-rename"
                onSubmit={(e) => {
                  e.preventDefault();
                  commitRename();
                }}
              >
                <label>
                  <span className="visually-hidden">Page name</span>
                  <input
                    autoFocus
                    value={renaming.value}
                    maxLength={120}
                    aria-invalid={renaming.value.trim() === '' ? true : undefined}
                    onChange={(e) => setRenaming({ id: p.id, value: e.target.value })}
                    onBlur={commitRename}
                    onKeyDown={(e) => {
                      if (e.key !== 'Escape') return;
                      e.preventDefault();
                      focusAfterRename.current = p.id;
                      setRenaming(null);
                    }}
                  />
                </label>
              </form>
            ) : (
              <button
                type="button"
                ref={(el) => {
                  if (el && focusAfterRename.current === p.id) {
                    focusAfterRename.current = null;
                    el.focus();
                  }
                }}
                className={`page-tab${p.id === selectedId ? ' selected' : ''}`}
                aria-current={p.id === selectedId ? 'page' : undefined}
                title="Double-click to rename"
                onClick={() => onSelect(p.id)}
                onDoubleClick={() => setRenaming({ id: p.id, value: p.name })}
              >
                {p.name}
              </button>
            )}
          </li>
        ))}
      </ul>
      <button
        type="button"
        className="secondary small"
        onClick={onAdd}
        disabled={pages.length >= MAX_PAGES}
        title={pages.length >= MAX_PAGES ? `An app has at most ${MAX_PAGES} pages` : undefined}
      >
        Add page
      </button>
      <span className="grow" />
      {selected && (
        <div className="page-actions">
          <button
            type="button"
            className="ghost small"
            aria-label={`Rename ${selected.name}`}
            onClick={() => setRenaming({ id: selected.id, value: selected.name })}
          >
            Rename
          </button>
          <button
            type="button"
            className="ghost small"
            aria-label={`Move ${selected.name} left`}
            disabled={index <= 0}
            onClick={() => onMove(selected.id, -1)}
          >
            ←
          </button>
          <button
            type="button"
            className="ghost small"
            aria-label={`Move ${selected.name} right`}
            disabled={index >= pages.length - 1}
            onClick={() => onMove(selected.id, 1)}
          >
            →
          </button>
          <button
            type="button"
            className="ghost small danger"
            aria-label={`Delete ${selected.name}`}
            disabled={pages.length <= 1}
            title={pages.length <= 1 ? 'An app needs at least one page' : undefined}
            onClick={() => setDeleting(selected)}
          >
            Delete
          </button>
        </div>
      )}
      <Dialog open={deleting !== null} title="Delete page" onClose={() => setDeleting(null)}>
        {deleting && (
          <div className="stack">
            <p>
              Delete “{deleting.name}” and its {deleting.components.length}{' '}
              {deleting.components.length === 1 ? 'component' : 'components'}? Bindings to them on
              other pages will show errors.
            </p>
            <div className="form-actions">
              <button type="button" className="secondary" onClick={() => setDeleting(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  onDelete(deleting.id);
                  setDeleting(null);
                }}
              >
                Delete page
              </button>
            </div>
          </div>
        )}
      </Dialog>
    </nav>
  );
}
