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
}

/** HTTP status of each code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForWorkspaceError(code: WorkspaceErrorCode): number {
  switch (code) {
    case WorkspaceErrorCode.NotFound:
    case WorkspaceErrorCode.MemberNotFound:
      return 404;
    case WorkspaceErrorCode.Forbidden:
    case WorkspaceErrorCode.TwoFactorRequired:
      return 403;
    case WorkspaceErrorCode.AlreadyMember:
    case WorkspaceErrorCode.LastAdmin:
    case WorkspaceErrorCode.EnrolTwoFactorFirst:
      return 409;
    case WorkspaceErrorCode.PasswordRequired:
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
