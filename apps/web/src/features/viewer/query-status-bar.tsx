import type { QueryState, RuntimeQuery } from '../apps/app-runtime';
import { ProgressBar } from '../../components/loading';

/**
 * A thin progress bar while any query runs, and each failed query's message with its
 * correlation id. Query names only: viewers never see query text.
 */
export function QueryStatusBar({
  queries,
  states,
}: {
  queries: RuntimeQuery[];
  states: Record<string, QueryState>;
}) {
  const running = queries.filter((q) => states[q.id]?.isLoading);
  const failed = queries.filter((q) => states[q.id]?.error);
  return (
    <div className="query-status" aria-live="polite">
      {running.length > 0 && (
        <ProgressBar label={`Running ${running.map((q) => q.name).join(', ')}`} />
      )}
      {failed.map((q) => (
        <div key={q.id} role="alert" className="notice notice-error">
          <strong>{q.name}</strong>: {states[q.id].error}
          {states[q.id].correlationId && (
            <small>
              {' '}
              Reference <code>{states[q.id].correlationId}</code>
            </small>
          )}
        </div>
      ))}
    </div>
  );
}
