import type { TSessionInfo, TWorkspaceCreationPolicy } from '@bastion/contracts';
import { FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { ErrorNotice, errorText } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { useSignOut } from '../workspaces/session-menu';
import {
  useChangePassword,
  useCreateWorkspace,
  useInstanceSettings,
  useRevokeSession,
  useSessions,
  useUpdateInstanceSettings,
} from './account-api';
import { RecentSignInsSection } from './recent-sign-ins-section';
import { TwoFactorSection } from './two-factor-section';

function ChangePasswordSection() {
  const change = useChangePassword();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [repeat, setRepeat] = useState('');
  const mismatch = repeat.length > 0 && repeat !== newPassword;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          setCurrent('');
          setNew('');
          setRepeat('');
        },
      },
    );
  };
  return (
    <section aria-labelledby="password-title" className="card">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={onSubmit} aria-label="Change password">
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={newPassword}
            onChange={(e) => setNew(e.target.value)}
          />
        </label>
        <label>
          Repeat the new password
          <input
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={mismatch}
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
        </label>
        {mismatch && <p className="error">The two new passwords differ.</p>}
        <button type="submit" disabled={change.isPending || mismatch}>
          {change.isPending ? 'Changing…' : 'Change password'}
        </button>
        {change.isSuccess && (
          <p role="status">Password changed. Your other sessions were signed out.</p>
        )}
        {change.isError && <ErrorNotice error={change.error} />}
      </form>
    </section>
  );
}

/** How a session signed in, in words (the strength a workspace's two-factor policy checks). */
export const SIGN_IN_METHOD_LABEL: Record<TSessionInfo['signInMethod'], string> = {
  password: 'Password only',
  'password+totp': 'Password + authenticator code',
  'recovery-code': 'Password + recovery code',
};

/** A session's browser and address in a few words, for labels ("Firefox from 203.0.113.9"). */
function describeSession(s: TSessionInfo): string {
  const browser = s.userAgent ?? 'Unknown browser';
  return s.ip ? `${browser} from ${s.ip}` : browser;
}

function SessionsSection() {
  const sessions = useSessions();
  const revoke = useRevokeSession();
  const signOutEverywhere = useSignOut('/api/auth/sessions/revoke-all');
  return (
    <section aria-labelledby="sessions-title" className="card">
      <h2 id="sessions-title">Sessions</h2>
      {sessions.isPending && <Loading />}
      {sessions.isError && <ErrorNotice error={sessions.error} />}
      {sessions.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Signed in</th>
              <th scope="col">Last active</th>
              <th scope="col">Address</th>
              <th scope="col">Browser</th>
              <th scope="col">Signed in with</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.id} aria-current={s.current ? 'true' : undefined}>
                <td>
                  {new Date(s.createdAt).toLocaleString()}
                  {s.current && <strong> (this one)</strong>}
                </td>
                <td>{new Date(s.lastSeenAt).toLocaleString()}</td>
                <td>{s.ip ?? '—'}</td>
                <td>{s.userAgent ?? '—'}</td>
                <td>{SIGN_IN_METHOD_LABEL[s.signInMethod]}</td>
                <td>
                  <button
                    type="button"
                    className="secondary small danger"
                    disabled={revoke.isPending}
                    aria-label={
                      s.current
                        ? 'Revoke this session (signs you out here)'
                        : `Revoke the session of ${describeSession(s)}, signed in ${new Date(s.createdAt).toLocaleString()}`
                    }
                    onClick={() =>
                      revoke.mutate(s, {
                        onSuccess: () => {
                          if (!s.current) toast.success('Session revoked: it is signed out');
                        },
                        onError: (e) => toast.error(`Not revoked: ${errorText(e)}`),
                      })
                    }
                  >
                    {s.current ? 'Revoke (sign out)' : 'Revoke'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button
        type="button"
        className="danger"
        disabled={signOutEverywhere.isPending}
        onClick={() => signOutEverywhere.mutate()}
      >
        Sign out everywhere
      </button>
    </section>
  );
}

function CreateWorkspaceSection() {
  const create = useCreateWorkspace();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name, { onSuccess: (ws) => void navigate(`/w/${ws.id}`) });
  };
  return (
    <section aria-labelledby="new-workspace-title" className="card">
      <h2 id="new-workspace-title">New workspace</h2>
      <form onSubmit={onSubmit} aria-label="New workspace">
        <label>
          Name
          <input required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create workspace
        </button>
        {create.isError && <ErrorNotice error={create.error} />}
      </form>
    </section>
  );
}

/** Instance admins: who may create workspaces (`workspaceCreation`). */
function InstanceSettingsSection() {
  const settings = useInstanceSettings(true);
  const update = useUpdateInstanceSettings();
  if (settings.isPending) return <Loading label="Loading instance settings…" />;
  if (settings.isError) return <ErrorNotice error={settings.error} />;
  const onChange = (workspaceCreation: TWorkspaceCreationPolicy) =>
    update.mutate(
      { workspaceCreation },
      { onSuccess: () => toast.success('Instance setting saved') },
    );
  return (
    <section aria-labelledby="instance-title" className="card">
      <h2 id="instance-title">Instance settings</h2>
      <p>You are an instance admin of this Bastion.</p>
      <fieldset disabled={update.isPending}>
        <legend>Who may create workspaces</legend>
        <label className="checkbox">
          <input
            type="radio"
            name="workspace-creation"
            checked={settings.data.workspaceCreation === 'instance_admins'}
            onChange={() => onChange('instance_admins')}
          />
          Instance admins only
        </label>
        <label className="checkbox">
          <input
            type="radio"
            name="workspace-creation"
            checked={settings.data.workspaceCreation === 'everyone'}
            onChange={() => onChange('everyone')}
          />
          Every signed-in user
        </label>
      </fieldset>
      {update.isError && <ErrorNotice error={update.error} title="Not saved" />}
    </section>
  );
}

/**
 * `/account`: two-factor, password, sessions and sign out everywhere, recent sign-ins; a new
 * workspace when the instance allows this user to create one; instance settings for instance
 * admins.
 */
export function AccountPage() {
  const me = useMe();
  return (
    <div className="stack">
      <section className="card">
        <h1>Your account</h1>
        <p>Signed in as {me.data?.user.email}</p>
      </section>
      <TwoFactorSection />
      <ChangePasswordSection />
      <SessionsSection />
      <RecentSignInsSection />
      {me.data?.canCreateWorkspaces && <CreateWorkspaceSection />}
      {me.data?.user.isInstanceAdmin && <InstanceSettingsSection />}
    </div>
  );
}
