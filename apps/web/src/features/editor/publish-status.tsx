import type { TApp } from '@bastion/contracts';
import { describeSummary } from './revision-summary';

/**
 * The editor header's publish state: "Not published yet", "Published <time>", or
 * "Unpublished changes" with what differs from the published copy.
 */
export function PublishStatus({
  publishedAt,
  unpublishedChanges,
}: {
  publishedAt: string | null;
  unpublishedChanges: TApp['unpublishedChanges'];
}) {
  if (!publishedAt) {
    return (
      <span className="muted small" data-testid="publish-status">
        Not published yet
      </span>
    );
  }
  if (unpublishedChanges) {
    const summary = describeSummary(unpublishedChanges.summary);
    return (
      <span className="small publish-changes" data-testid="publish-status" title={summary}>
        <strong>Unpublished changes</strong>
        <span className="muted"> ({summary})</span>
      </span>
    );
  }
  return (
    <span className="muted small" data-testid="publish-status">
      Published {new Date(publishedAt).toLocaleString()}
    </span>
  );
}
