import { AppException } from '../common/errors/app.exception';

export enum WorkspaceErrorCode {
  NotFound = 'workspace_not_found',
  MemberNotFound = 'member_not_found',
  Forbidden = 'workspace_forbidden',
  TwoFactorRequired = 'workspace_requires_two_factor',
  AlreadyMember = 'already_member',
  LastAdmin = 'last_admin',
  PasswordRequired = 'password_required',
  EnrolTwoFactorFirst = 'enrol_two_factor_first',
  /** `POST /members` is gone: members join through invitations. */
  MembersByInvitation = 'members_by_invitation',
  /** No invitation of this workspace has this id (also another workspace's), or it is not pending. */
  InvitationNotFound = 'invitation_not_found',
  /** The link's token is unknown. */
  InvitationLinkNotFound = 'invitation_link_not_found',
  /** The link was used, revoked, replaced by a resend, or expired. */
  InvitationGone = 'invitation_gone',
  /** The invited email has an account: accepting needs a session of that account. */
  InvitationSignInRequired = 'invitation_sign_in_required',
  /** Signed in, but not as the invited account. */
  InvitationWrongAccount = 'invitation_wrong_account',
  /** A password was sent for an invitation whose email already has an account. */
  PasswordNotAccepted = 'password_not_accepted',
  /** The account for the invited email appeared between the link's check and its use. */
  AccountCreatedMeanwhile = 'account_created_meanwhile',
  /** `POST /api/workspaces` while the instance setting keeps creation to instance admins. */
  WorkspaceCreationRestricted = 'workspace_creation_restricted',
  /** Instance settings are for instance admins. */
  InstanceAdminRequired = 'instance_admin_required',
}

/** HTTP status of each code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForWorkspaceError(code: WorkspaceErrorCode): number {
  switch (code) {
    case WorkspaceErrorCode.NotFound:
    case WorkspaceErrorCode.MemberNotFound:
    case WorkspaceErrorCode.InvitationNotFound:
    case WorkspaceErrorCode.InvitationLinkNotFound:
      return 404;
    case WorkspaceErrorCode.InvitationGone:
      return 410;
    case WorkspaceErrorCode.InvitationSignInRequired:
      return 401;
    case WorkspaceErrorCode.Forbidden:
    case WorkspaceErrorCode.TwoFactorRequired:
    case WorkspaceErrorCode.InvitationWrongAccount:
    case WorkspaceErrorCode.WorkspaceCreationRestricted:
    case WorkspaceErrorCode.InstanceAdminRequired:
      return 403;
    case WorkspaceErrorCode.AlreadyMember:
    case WorkspaceErrorCode.LastAdmin:
    case WorkspaceErrorCode.EnrolTwoFactorFirst:
    case WorkspaceErrorCode.AccountCreatedMeanwhile:
      return 409;
    case WorkspaceErrorCode.PasswordRequired:
    case WorkspaceErrorCode.PasswordNotAccepted:
    case WorkspaceErrorCode.MembersByInvitation:
      return 400;
  }
}

export class WorkspaceException extends AppException {
  readonly status: number;
  constructor(
    readonly code: WorkspaceErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForWorkspaceError(code);
  }
}

/** The one "not found" for anything of a workspace the caller cannot see: never a 403. */
export const workspaceNotFound = () =>
  new WorkspaceException(WorkspaceErrorCode.NotFound, 'Workspace not found');
