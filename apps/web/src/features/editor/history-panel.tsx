import type { TAppRevision } from '@bastion/contracts';
import { useEffect, useRef, useState } from 'react';
import { Dialog } from '../../components/dialog';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useRevisions } from '../apps/app-api';
import { describeSummary } from './revision-summary';

/**
 * The editor's version history: revisions newest first (author, time, what changed, a
 * "Published" badge) and a Restore action that asks first. Restoring writes a new revision,
 * so the current draft stays in the history.
 */
export function HistoryPanel({
  wid,
  appId,
  open,
  onClose,
  onRestore,
}: {
  wid: string;
  appId: string;
  open: boolean;
  onClose: () => void;
  /** Restores the revision; resolves when the editor shows it. */
  onRestore: (revision: TAppRevision) => Promise<void>;
}) {
  const revisions = useRevisions(wid, appId, open);
  const [confirming, setConfirming] = useState<TAppRevision | null>(null);
  const [restoring, setRestoring] = useState(false);
  // The Restore button that opened the question is gone: focus moves to the question's answer.
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const close = () => {
    setConfirming(null);
    onClose();
  };
  const restore = async (revision: TAppRevision) => {
    setRestoring(true);
    try {
      await onRestore(revision);
      setConfirming(null);
    } finally {
      setRestoring(false);
    }
  };

  return (
    <Dialog open={open} title="Version history" onClose={close}>
      <div className="dialog-body history-panel" data-testid="history-panel">
        {revisions.isPending && <Loading label="Loading the history…" />}
        {revisions.isError && <ErrorNotice error={revisions.error} />}
        {confirming ? (
          <div role="group" aria-label="Restore this version?">
            <p>
              Restore version {confirming.version} from{' '}
              {new Date(confirming.createdAt).toLocaleString()}? The editor then shows it as the
              draft; the current draft stays in the history.
            </p>
            <div className="dialog-actions">
              <button
                type="button"
                className="secondary"
                disabled={restoring}
                onClick={() => setConfirming(null)}
              >
                Cancel
              </button>
              <button
                type="button"
                ref={confirmRef}
                disabled={restoring}
                onClick={() => void restore(confirming)}
              >
                {restoring ? 'Restoring…' : `Restore version ${confirming.version}`}
              </button>
            </div>
          </div>
        ) : (
          <ol className="history-list" aria-label="Revisions, newest first">
            {revisions.data?.map((r, i) => (
              <li key={r.id} className="history-item" data-testid="revision">
                <div>
                  <strong>Version {r.version}</strong>{' '}
                  {r.published && <span className="badge badge-ok">Published</span>}{' '}
                  {i === 0 && <span className="badge">Current</span>}
                  <div className="small muted">
                    {r.authorEmail ?? 'Unknown author'} · {new Date(r.createdAt).toLocaleString()}
                    {r.restoredFrom !== null && ` · restored version ${r.restoredFrom}`}
                  </div>
                  <div className="small">{describeSummary(r.summary)}</div>
                </div>
                {i > 0 && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => setConfirming(r)}
                    aria-label={`Restore version ${r.version}`}
                  >
                    Restore
                  </button>
                )}
              </li>
            ))}
          </ol>
        )}
      </div>
    </Dialog>
  );
}
