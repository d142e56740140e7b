import type { TAcceptInvitationResponse, TInvitationPreview } from '@bastion/contracts';
import { FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorNotice } from '../../components/error-notice';
import { Loading } from '../../components/loading';
import { useMe } from '../auth/use-me';
import { useAcceptInvitation, useInvitationPreview } from './invitation-api';
import { NewPasswordField } from '../../components/new-password-field';

/** Sets the invitee's own password (with confirmation) and accepts: the new account joins. */
function CreateAccountForm({
  preview,
  onAccept,
  accepting,
}: {
  preview: TInvitationPreview;
  onAccept: (password: string) => void;
  accepting: boolean;
}) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    onAccept(password);
  };
  return (
    <form onSubmit={onSubmit} aria-label="Create your account">
      <p>
        Choose a password for <strong>{preview.email}</strong>.
      </p>
      <NewPasswordField helpId="invite-password-help" value={password} onChange={setPassword} />
      <label>
        Confirm password
        <input
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </label>
      {mismatch && (
        <p role="alert" className="notice notice-error">
          The two passwords differ.
        </p>
      )}
      <button type="submit" disabled={accepting}>
        {accepting ? 'Joining…' : 'Create account and join'}
      </button>
    </form>
  );
}

/**
 * `/invite/:token` (public): what the invitation offers (workspace, role). A new email sets its
 * own password; an existing account accepts while signed in as itself, else is asked to sign
 * in as the invited email (and comes back here). After acceptance: the workspace's apps.
 */
export function InvitePage() {
  const { token = '' } = useParams();
  const preview = useInvitationPreview(token);
  const me = useMe();
  const accept = useAcceptInvitation(token);
  const navigate = useNavigate();
  const onAccepted = (data: TAcceptInvitationResponse) =>
    void navigate(`/w/${data.workspaceId}/apps`, { replace: true });
  if (preview.isPending || me.isPending) return <Loading label="Opening the invitation…" />;
  if (preview.isError) {
    return (
      <section className="card narrow">
        <h1>Invitation</h1>
        <ErrorNotice error={preview.error} />
        <p>
          <Link to="/sign-in">Sign in</Link>
        </p>
      </section>
    );
  }
  const invitation = preview.data;
  const signedInAs = me.data?.user.email;
  const signInHere = `/sign-in?next=${encodeURIComponent(`/invite/${token}`)}`;
  return (
    <section className="card narrow">
      <h1>Join {invitation.workspaceName}</h1>
      <p>
        You are invited to <strong>{invitation.workspaceName}</strong> as{' '}
        <strong>{invitation.role}</strong>.
      </p>
      {invitation.accountRequired ? (
        <CreateAccountForm
          preview={invitation}
          accepting={accept.isPending}
          onAccept={(password) => accept.mutate(password, { onSuccess: onAccepted })}
        />
      ) : signedInAs === invitation.email ? (
        <button
          type="button"
          disabled={accept.isPending}
          onClick={() => accept.mutate(undefined, { onSuccess: onAccepted })}
        >
          {accept.isPending ? 'Joining…' : `Accept as ${invitation.email}`}
        </button>
      ) : (
        <p role="status">
          {signedInAs ? `You are signed in as ${signedInAs}. ` : ''}
          <Link to={signInHere}>Sign in as {invitation.email}</Link> to accept this invitation.
        </p>
      )}
      {accept.isError && <ErrorNotice error={accept.error} title="Not joined" />}
    </section>
  );
}
