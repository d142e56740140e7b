/** A polite loading line; `aria-busy` tells assistive technology that content is coming. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-busy="true">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** An empty state with a short explanation and, optionally, the next step. */
export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="empty-state">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

/** A thin indeterminate bar shown while a query runs. */
export function ProgressBar({ label }: { label: string }) {
  return <div className="progress-bar" role="progressbar" aria-label={label} aria-busy="true" />;
}
