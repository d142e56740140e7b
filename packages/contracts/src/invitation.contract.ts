import { z } from 'zod';
import { ZEmail, ZUser } from './auth.contract';
import { ZWorkspaceRole } from './common.contract';

/** `POST /api/workspaces/:wid/invitations` (admin): invite an email with a role. */
export const ZCreateInvitationRequest = z.object({
  email: ZEmail,
  role: ZWorkspaceRole,
});
export type TCreateInvitationRequest = z.infer<typeof ZCreateInvitationRequest>;

/**
 * A pending invitation as admins list it (`GET /api/workspaces/:wid/invitations`). Never
 * carries the token: it is shown once, by create and resend. `expired` is true past
 * `expiresAt` (resend gives a fresh link).
 */
export const ZInvitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: ZWorkspaceRole,
  expiresAt: z.string(),
  createdAt: z.string(),
  expired: z.boolean(),
});
export type TInvitation = z.infer<typeof ZInvitation>;

/**
 * Answer of create and resend: the invitation and, once, its link `<origin>/invite/<token>`.
 * The token is stored only as its SHA-256; no later answer can show it again.
 */
export const ZCreatedInvitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: ZWorkspaceRole,
  expiresAt: z.string(),
  inviteUrl: z.string(),
});
export type TCreatedInvitation = z.infer<typeof ZCreatedInvitation>;

/**
 * `GET /api/invitations/:token` (public): what the link offers. `accountRequired` is true when
 * no account exists for the invited email (the invitee sets a password); otherwise they sign in
 * as `email` and accept.
 */
export const ZInvitationPreview = z.object({
  workspaceName: z.string(),
  role: ZWorkspaceRole,
  email: z.string(),
  expiresAt: z.string(),
  accountRequired: z.boolean(),
});
export type TInvitationPreview = z.infer<typeof ZInvitationPreview>;

/**
 * `POST /api/invitations/:token/accept`: `password` creates the account (new email only; the
 * password policy applies); without it the caller must be signed in as the invited email.
 */
export const ZAcceptInvitationRequest = z.object({
  password: z.string().min(1, 'is required').max(256).optional(),
});
export type TAcceptInvitationRequest = z.infer<typeof ZAcceptInvitationRequest>;

/** Answer of accept: the membership, the signed-in user and the session's CSRF token. */
export const ZAcceptInvitationResponse = z.object({
  workspaceId: z.uuid(),
  workspaceName: z.string(),
  role: ZWorkspaceRole,
  user: ZUser,
  csrfToken: z.string(),
});
export type TAcceptInvitationResponse = z.infer<typeof ZAcceptInvitationResponse>;
