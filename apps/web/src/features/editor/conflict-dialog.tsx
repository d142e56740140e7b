import { Dialog } from '../../components/dialog';

/** What a stale save was about: the app (name, definition), one query, or a datasource. */
export interface VersionConflict {
  what: 'app' | 'query';
  /** The query's id when `what` is 'query'. */
  id?: string;
  /** The version the server holds now (from the 409). */
  currentVersion: number;
}

/**
 * The 409 dialog: someone else saved first. "Reload theirs" drops the local changes and loads
 * the server's state; "Keep mine" sends the local changes again over theirs (a new version).
 * Closing it keeps the local changes unsaved (the status says "Not saved").
 */
export function ConflictDialog({
  conflict,
  busy,
  onReloadTheirs,
  onKeepMine,
  onClose,
  title = 'This app was changed elsewhere',
  subject,
}: {
  conflict: Pick<VersionConflict, 'what' | 'currentVersion'> | null;
  busy: boolean;
  /** The dialog's title (default: the app's). */
  title?: string;
  /** What was saved elsewhere, as a sentence start ("This datasource"). */
  subject?: string;
  onReloadTheirs: () => void;
  onKeepMine: () => void;
  onClose: () => void;
}) {
  const thing = subject ?? (conflict?.what === 'query' ? 'A query of this app' : 'This app');
  return (
    <Dialog open={conflict !== null} title={title} onClose={onClose}>
      <div className="dialog-body" data-testid="conflict-dialog">
        <p>
          {thing} was saved by someone else (or in another tab) after you opened it. Your latest
          changes are not saved yet.
        </p>
        <ul className="small muted">
          <li>
            <strong>Reload theirs</strong>: discard your unsaved changes and load the saved version.
          </li>
          <li>
            <strong>Keep mine</strong>: save your version over theirs. Theirs stays in the history,
            unless it was your own save from another tab in the last minute (saves of one person
            within a minute share one revision).
          </li>
        </ul>
        <div className="dialog-actions">
          <button type="button" className="secondary" disabled={busy} onClick={onReloadTheirs}>
            Reload theirs
          </button>
          <button type="button" disabled={busy} onClick={onKeepMine}>
            Keep mine
          </button>
        </div>
      </div>
    </Dialog>
  );
}
