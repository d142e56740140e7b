import { AUDIT_ACTIONS, type TAuditAction, type TAuditEvent } from '@bastion/contracts';
import { FormEvent, useState } from 'react';
import { ErrorNotice } from '../../components/error-notice';
import { EmptyState, Loading } from '../../components/loading';
import { useCurrentWorkspace } from '../workspaces/use-current-workspace';
import {
  AuditFilters,
  auditExportUrl,
  EMPTY_FILTERS,
  useAuditEvents,
  useAuditVerify,
} from './audit-api';
import './audit.css';

const TARGET_TYPES = ['user', 'workspace', 'datasource', 'app', 'query'];

/** `datetime-local` value (local time) to ISO, or '' when empty. */
function toIso(local: string): string {
  return local ? new Date(local).toISOString() : '';
}

function formatDetails(details: TAuditEvent['details']): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('; ');
}

function FilterForm({ onApply }: { onApply: (f: AuditFilters) => void }) {
  const [draft, setDraft] = useState({ ...EMPTY_FILTERS });
  const set = (key: keyof AuditFilters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ ...draft, from: toIso(draft.from), to: toIso(draft.to) });
  };
  return (
    <form className="audit-filters" onSubmit={onSubmit} aria-label="Filter audit entries">
      <label>
        Actor
        <input
          type="search"
          placeholder="email or user id"
          value={draft.actor}
          onChange={set('actor')}
        />
      </label>
      <label>
        Action
        <select value={draft.action} onChange={set('action')}>
          <option value="">Any action</option>
          {AUDIT_ACTIONS.map((a: TAuditAction) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </label>
      <label>
        Target type
        <select value={draft.targetType} onChange={set('targetType')}>
          <option value="">Any</option>
          {TARGET_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Target id
        <input value={draft.targetId} onChange={set('targetId')} />
      </label>
      <label>
        From
        <input type="datetime-local" value={draft.from} onChange={set('from')} />
      </label>
      <label>
        To
        <input type="datetime-local" value={draft.to} onChange={set('to')} />
      </label>
      <div className="audit-filter-actions">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft({ ...EMPTY_FILTERS });
            onApply({ ...EMPTY_FILTERS });
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function VerifyPanel({ workspaceId }: { workspaceId: string }) {
  const verify = useAuditVerify(workspaceId);
  const r = verify.data;
  return (
    <section className="card" aria-label="Integrity">
      <div className="page-header">
        <h2>Integrity</h2>
        <button
          type="button"
          className="secondary"
          disabled={verify.isFetching}
          onClick={() => void verify.refetch()}
        >
          {verify.isFetching ? 'Verifying…' : 'Verify the log'}
        </button>
      </div>
      <p className="muted">
        Each entry carries the SHA-256 hash of the one before it; verification recomputes the hashes
        and names the first entry of this workspace that was changed, or an entry removed from the
        log. Sign-ins and other account activity are not workspace entries: each person sees their
        own on their Account page.
      </p>
      {verify.isError && <ErrorNotice error={verify.error} title="Verification failed to run" />}
      {r && r.ok && (
        <p role="status" className="notice notice-ok">
          Intact: {r.checkedEntries} entries of this workspace checked
          {r.newest && (
            <>
              , up to entry #{r.newest.sequence} (hash{' '}
              <code title={r.newest.hash}>{r.newest.hash.slice(0, 16)}…</code>)
            </>
          )}
          .
        </p>
      )}
      {r && r.firstBroken && (
        <p role="alert" className="notice notice-error">
          Broken at entry #{r.firstBroken.sequence}: {r.firstBroken.message}.
        </p>
      )}
      {r?.pruned && (
        <p className="muted">
          Entries up to {new Date(r.pruned.occurredAt).toLocaleString()} were removed by retention
          on {new Date(r.pruned.prunedAt).toLocaleString()}; verification starts after them.
        </p>
      )}
      <p className="muted">
        Retention: the operator removes entries older than N days with{' '}
        <code>pnpm cli audit prune --older-than-days=N</code>, which keeps a checkpoint so the rest
        still verifies.
      </p>
    </section>
  );
}

/** `/w/:workspaceId/audit` (admins): filterable audit log, exports and the integrity check. */
export function AuditPage() {
  const { workspaceId = '', membership, isAdmin } = useCurrentWorkspace();
  const [filters, setFilters] = useState<AuditFilters>({ ...EMPTY_FILTERS });
  const events = useAuditEvents(workspaceId, filters);
  if (membership && !isAdmin) {
    return (
      <section className="card">
        <h1>Audit log</h1>
        <p role="alert">Only admins of this workspace can read its audit log.</p>
      </section>
    );
  }
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="stack">
      <section className="card">
        <div className="page-header">
          <h1>Audit log{membership ? ` of ${membership.workspaceName}` : ''}</h1>
          <div className="audit-exports">
            <a className="button" href={auditExportUrl(workspaceId, filters, 'csv')} download>
              Export CSV
            </a>
            <a className="button" href={auditExportUrl(workspaceId, filters, 'jsonl')} download>
              Export JSON Lines
            </a>
          </div>
        </div>
        <FilterForm onApply={setFilters} />
        {events.isPending && <Loading label="Loading audit entries…" />}
        {events.isError && <ErrorNotice error={events.error} />}
        {events.isSuccess && items.length === 0 && (
          <EmptyState title="No entries">Nothing matches these filters.</EmptyState>
        )}
        {items.length > 0 && (
          <table className="data-table audit-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Source</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.sequence}>
                  <td>{e.sequence}</td>
                  <td>
                    <time dateTime={e.occurredAt}>{new Date(e.occurredAt).toLocaleString()}</time>
                  </td>
                  <td>{e.actor?.email ?? <span className="muted">system / anonymous</span>}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ? `${e.target.type} ${e.target.id}` : ''}</td>
                  <td title={e.userAgent ?? undefined}>{e.ip}</td>
                  <td className="audit-details">{formatDetails(e.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {events.hasNextPage && (
          <button
            type="button"
            className="secondary"
            disabled={events.isFetchingNextPage}
            onClick={() => void events.fetchNextPage()}
          >
            {events.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
          </button>
        )}
      </section>
      <VerifyPanel workspaceId={workspaceId} />
    </div>
  );
}
