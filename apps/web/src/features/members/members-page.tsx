import type { TMember, TWorkspaceRole } from '@bastion/contracts';
import { FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { Dialog } from '../../components/dialog';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { useCurrentWorkspace } from '../workspaces/use-current-workspace';
import {
  useAddMember,
  useChangeRole,
  useMembers,
  useRemoveMember,
  useUpdateWorkspace,
  useWorkspace,
} from './members-api';

const ROLES: TWorkspaceRole[] = ['admin', 'editor', 'viewer'];

function RequireTwoFactorToggle({ workspaceId }: { workspaceId: string }) {
  const workspace = useWorkspace(workspaceId);
  const update = useUpdateWorkspace(workspaceId);
  if (workspace.isPending) return <Loading />;
  if (workspace.isError) return <ErrorNotice error={workspace.error} />;
  return (
    <div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={workspace.data.requireTwoFactor}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ requireTwoFactor: e.target.checked })}
        />
        Require two-factor authentication for every member
      </label>
      <small>Members without it can no longer open this workspace until they enrol.</small>
      {update.isError && <ErrorNotice error={update.error} />}
    </div>
  );
}

function AddMemberForm({ workspaceId }: { workspaceId: string }) {
  const add = useAddMember(workspaceId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<TWorkspaceRole>('viewer');
  const [password, setPassword] = useState('');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(
      { email, role, ...(password ? { password } : {}) },
      {
        onSuccess: () => {
          setEmail('');
          setPassword('');
        },
      },
    );
  };
  return (
    <form onSubmit={onSubmit} aria-label="Add member">
      <h2>Add a member</h2>
      <label>
        Email
        <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as TWorkspaceRole)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Initial password (only for a new account)
        <input
          type="password"
          autoComplete="new-password"
          minLength={12}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <button type="submit" disabled={add.isPending}>
        {add.isPending ? 'Adding…' : 'Add member'}
      </button>
      {add.isSuccess && <p role="status">Added {add.data.email}.</p>}
      {add.isError && <ErrorNotice error={add.error} />}
    </form>
  );
}

/**
 * Asks before removing `member` from the workspace; on success a toast says so. Removing
 * yourself (allowed while another admin remains) leaves the workspace, so it goes home after.
 */
function RemoveMemberDialog({
  workspaceId,
  workspaceName,
  member,
  isSelf,
  onClose,
}: {
  workspaceId: string;
  workspaceName: string;
  member: TMember | null;
  isSelf: boolean;
  onClose: () => void;
}) {
  const remove = useRemoveMember(workspaceId);
  const navigate = useNavigate();
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <Dialog open={member !== null} title="Remove member" onClose={close}>
      {member && (
        <div className="stack">
          <p>
            {isSelf
              ? `Remove yourself from ${workspaceName}? You lose access to it at once.`
              : `Remove ${member.email} from ${workspaceName}? They lose access at once; their account stays.`}
          </p>
          {remove.isError && <ErrorNotice error={remove.error} title="Not removed" />}
          <div className="form-actions">
            <button type="button" className="secondary" onClick={close}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() =>
                remove.mutate(member.userId, {
                  onSuccess: () => {
                    toast.success(`Removed ${member.email} from ${workspaceName}`);
                    close();
                    if (isSelf) void navigate('/', { replace: true });
                  },
                })
              }
            >
              {remove.isPending ? 'Removing…' : 'Remove member'}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/**
 * `/w/:workspaceId/members` (admins): members and roles, adding and removing members, two-factor
 * policy. The last admin has no Remove action (the API refuses it too).
 */
export function MembersPage() {
  const { workspaceId = '', membership, isAdmin } = useCurrentWorkspace();
  const me = useMe();
  const members = useMembers(workspaceId);
  const changeRole = useChangeRole(workspaceId);
  const [removing, setRemoving] = useState<TMember | null>(null);
  const adminCount = members.data?.filter((m) => m.role === 'admin').length ?? 0;
  if (membership && !isAdmin) {
    return (
      <section className="card">
        <h1>Members</h1>
        <p role="alert">Only admins of this workspace manage its members.</p>
      </section>
    );
  }
  return (
    <div className="stack">
      <section className="card">
        <h1>Members{membership ? ` of ${membership.workspaceName}` : ''}</h1>
        <RequireTwoFactorToggle workspaceId={workspaceId} />
        {members.isPending && <Loading label="Loading members…" />}
        {members.isError && <ErrorNotice error={members.error} />}
        {members.data && (
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Two-factor</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((m) => (
                <tr key={m.userId}>
                  <td>{m.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={changeRole.isPending}
                      onChange={(e) =>
                        changeRole.mutate({
                          userId: m.userId,
                          role: e.target.value as TWorkspaceRole,
                        })
                      }
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{m.twoFactorEnabled ? 'On' : 'Off'}</td>
                  <td>
                    {m.role === 'admin' && adminCount <= 1 ? (
                      <small className="muted">Last admin</small>
                    ) : (
                      <button
                        type="button"
                        className="secondary small danger"
                        aria-label={`Remove ${m.email}`}
                        onClick={() => setRemoving(m)}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {changeRole.isError && <ErrorNotice error={changeRole.error} title="Role not changed" />}
        <RemoveMemberDialog
          workspaceId={workspaceId}
          workspaceName={membership?.workspaceName ?? 'this workspace'}
          member={removing}
          isSelf={removing !== null && removing.userId === me.data?.user.id}
          onClose={() => setRemoving(null)}
        />
      </section>
      <section className="card">
        <AddMemberForm workspaceId={workspaceId} />
      </section>
    </div>
  );
}
