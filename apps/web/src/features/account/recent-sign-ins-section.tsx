import type { TAuditAction, TAuditEvent } from '@bastion/contracts';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMyAuditEvents } from './account-api';

const FAILURE_REASONS: Record<string, string> = {
  invalid_credentials: 'wrong password',
  two_factor_required: 'right password, no two-factor code',
  invalid_two_factor_code: 'wrong two-factor code',
};

/** Words for the account's own actions; any other action is shown by its name. */
const ACCOUNT_ACTIONS: Partial<Record<TAuditAction, (e: TAuditEvent) => string>> = {
  'auth.login': (e) => (e.details.twoFactor === true ? 'Signed in (with two-factor)' : 'Signed in'),
  'auth.login_failed': (e) => {
    const reason = FAILURE_REASONS[String(e.details.reason)];
    return reason ? `Failed sign-in: ${reason}` : 'Failed sign-in';
  },
  'auth.logout': (e) => (e.details.allSessions === true ? 'Signed out everywhere' : 'Signed out'),
  'auth.session_revoked': () => 'Session revoked',
  'auth.2fa_enabled': () => 'Two-factor turned on',
  'auth.2fa_disabled': () => 'Two-factor turned off',
  'auth.password_changed': () => 'Password changed',
  'auth.account_created': (e) =>
    e.details.via === 'invitation'
      ? 'Account created (invitation accepted)'
      : e.details.via === 'admin create'
        ? 'Account created by the operator'
        : 'Account created (first-run setup)',
};

/** What happened, in words: "Signed in", "Failed sign-in: wrong password", ... */
export function describeAccountEvent(e: TAuditEvent): string {
  return ACCOUNT_ACTIONS[e.action]?.(e) ?? e.action;
}

/**
 * "Recent sign-ins" on the Account page: the person's own sign-ins, failed sign-ins (address
 * and browser of whoever tried) and account changes. Only they see these entries.
 */
export function RecentSignInsSection() {
  const events = useMyAuditEvents();
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="sign-ins-title" className="card">
      <h2 id="sign-ins-title">Recent sign-ins</h2>
      <p className="muted">
        Sign-ins, failed attempts and changes to your account. Only you see them; a failed sign-in
        you do not recognise shows where it came from.
      </p>
      {events.isPending && <Loading />}
      {events.isError && <ErrorNotice error={events.error} />}
      {events.data && items.length === 0 && <p>Nothing yet.</p>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">What</th>
              <th scope="col">Address</th>
              <th scope="col">Browser</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr
                key={e.sequence}
                className={e.action === 'auth.login_failed' ? 'failed' : undefined}
              >
                <td>{new Date(e.occurredAt).toLocaleString()}</td>
                <td>{describeAccountEvent(e)}</td>
                <td>{e.ip ?? '—'}</td>
                <td>{e.userAgent ?? '—'}</td>
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
          {events.isFetchingNextPage ? 'Loading…' : 'Show older'}
        </button>
      )}
    </section>
  );
}
