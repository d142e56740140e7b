import type { TCreatedInvitation, TMember, TWorkspaceRole } from '@bastion/contracts';
import { FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';
import { Dialog } from '../../components/dialog';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { useCurrentWorkspace } from '../workspaces/use-current-workspace';
import {
  useChangeRole,
  useCreateInvitation,
  useInvitations,
  useMembers,
  useRemoveMember,
  useResendInvitation,
  useRevokeInvitation,
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

/**
 * An invitation link, shown once (the server keeps only its hash), with a copy button. The
 * admin passes it on to the invitee by a channel of their choice.
 */
function InviteLink({ invitation }: { invitation: TCreatedInvitation }) {
  const copy = () => {
    navigator.clipboard.writeText(invitation.inviteUrl).then(
      () => toast.success('Invitation link copied'),
      () => toast.error('Copy failed; select the link and copy it by hand'),
    );
  };
  return (
    <div role="status" className="notice">
      <p>
        Invitation for {invitation.email} ({invitation.role}). Send this link to them; it is shown
        only now, works once and expires on {new Date(invitation.expiresAt).toLocaleString()}.
      </p>
      <label>
        Invitation link
        <input readOnly value={invitation.inviteUrl} onFocus={(e) => e.target.select()} />
      </label>
      <button type="button" className="secondary" onClick={copy}>
        Copy link
      </button>
    </div>
  );
}

function InviteForm({
  workspaceId,
  onCreated,
}: {
  workspaceId: string;
  onCreated: (invitation: TCreatedInvitation) => void;
}) {
  const create = useCreateInvitation(workspaceId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<TWorkspaceRole>('viewer');
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { email, role },
      {
        onSuccess: (invitation) => {
          setEmail('');
          onCreated(invitation);
        },
      },
    );
  };
  return (
    <form onSubmit={onSubmit} aria-label="Invite a member">
      <h2>Invite a member</h2>
      <p>
        They get a single-use link and choose their own password (or accept while signed in, if they
        already have an account). They become a member once they accept.
      </p>
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
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Inviting…' : 'Create invitation link'}
      </button>
      {create.isError && <ErrorNotice error={create.error} title="Not invited" />}
    </form>
  );
}

/** Pending invitations with Resend (a new link, the old one dies) and Revoke. */
function PendingInvitations({
  workspaceId,
  onResent,
  onRevoked,
}: {
  workspaceId: string;
  onResent: (invitation: TCreatedInvitation) => void;
  onRevoked: (invitationId: string) => void;
}) {
  const invitations = useInvitations(workspaceId);
  const resend = useResendInvitation(workspaceId);
  const revoke = useRevokeInvitation(workspaceId);
  if (invitations.isPending) return <Loading label="Loading invitations…" />;
  if (invitations.isError) return <ErrorNotice error={invitations.error} />;
  return (
    <section aria-labelledby="pending-invitations-title">
      <h2 id="pending-invitations-title">Pending invitations</h2>
      {invitations.data.length === 0 ? (
        <p className="muted">No pending invitations.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invitations.data.map((i) => (
              <tr key={i.id}>
                <td>{i.email}</td>
                <td>{i.role}</td>
                <td>{i.expired ? 'Expired' : new Date(i.expiresAt).toLocaleString()}</td>
                <td>
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={`Resend invitation to ${i.email}`}
                    disabled={resend.isPending}
                    onClick={() => resend.mutate(i.id, { onSuccess: onResent })}
                  >
                    Resend
                  </button>{' '}
                  <button
                    type="button"
                    className="secondary small danger"
                    aria-label={`Revoke invitation to ${i.email}`}
                    disabled={revoke.isPending}
                    onClick={() =>
                      revoke.mutate(i.id, {
                        onSuccess: () => {
                          onRevoked(i.id);
                          toast.success(`Revoked the invitation to ${i.email}`);
                        },
                      })
                    }
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {resend.isError && <ErrorNotice error={resend.error} title="Not resent" />}
      {revoke.isError && <ErrorNotice error={revoke.error} title="Not revoked" />}
    </section>
  );
}

/** The invite form, the link just made (once), and the pending invitations. */
function InvitationsSection({ workspaceId }: { workspaceId: string }) {
  const [shown, setShown] = useState<TCreatedInvitation | null>(null);
  return (
    <section className="card stack">
      <InviteForm workspaceId={workspaceId} onCreated={setShown} />
      {shown && <InviteLink invitation={shown} />}
      <PendingInvitations
        workspaceId={workspaceId}
        onResent={setShown}
        // A revoked link must not stay on screen to be copied and sent.
        onRevoked={(id) => setShown((current) => (current?.id === id ? null : current))}
      />
    </section>
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
 * `/w/:workspaceId/members` (admins): members and roles, invitations (invite, resend, revoke),
 * removing members, two-factor policy. The last admin has no Remove action (the API refuses it too).
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
      <InvitationsSection workspaceId={workspaceId} />
    </div>
  );
}
