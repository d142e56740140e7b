import { ApiError } from '../lib/api-client';

/**
 * Shows an error clearly: the server's message and, for API errors, the correlation id that
 * finds the server's log line. Announced to screen readers with `role="alert"`.
 */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const correlationId = error instanceof ApiError ? error.correlationId : undefined;
  return (
    <div role="alert" className="notice notice-error">
      {title && <strong>{title}: </strong>}
      <span>{message}</span>
      {correlationId && (
        <small className="correlation">
          {' '}
          Reference <code data-testid="correlation-id">{correlationId}</code>
        </small>
      )}
    </div>
  );
}

/** The text of an error for a toast, with the correlation id when there is one. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  return error instanceof ApiError && error.correlationId
    ? `${message} (reference ${error.correlationId})`
    : message;
}
