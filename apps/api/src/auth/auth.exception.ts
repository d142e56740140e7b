import { AppException } from '../common/errors/app.exception';

export enum AuthErrorCode {
  NotSignedIn = 'not_signed_in',
  InvalidCredentials = 'invalid_credentials',
  TwoFactorRequired = 'two_factor_required',
  InvalidTwoFactorCode = 'invalid_two_factor_code',
  CsrfTokenInvalid = 'csrf_token_invalid',
  WeakPassword = 'weak_password',
  SetupAlreadyDone = 'setup_already_done',
  EmailTaken = 'email_taken',
  TooManyAttempts = 'too_many_attempts',
  TwoFactorAlreadyEnabled = 'two_factor_already_enabled',
  TwoFactorNotEnrolled = 'two_factor_not_enrolled',
  /** A wrong code on a signed-in account action (enrol, disable): 400, not 401. */
  WrongConfirmationCode = 'wrong_confirmation_code',
  /** The current password given to change the password or turn two-factor off is wrong. */
  WrongCurrentPassword = 'wrong_current_password',
  /** No live session of the caller has this public id (also another user's session). */
  SessionNotFound = 'session_not_found',
}

/** HTTP status of each auth error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForAuthError(code: AuthErrorCode): number {
  switch (code) {
    case AuthErrorCode.NotSignedIn:
    case AuthErrorCode.InvalidCredentials:
    case AuthErrorCode.TwoFactorRequired:
    case AuthErrorCode.InvalidTwoFactorCode:
      return 401;
    case AuthErrorCode.CsrfTokenInvalid:
      return 403;
    case AuthErrorCode.WeakPassword:
    case AuthErrorCode.WrongConfirmationCode:
    case AuthErrorCode.WrongCurrentPassword:
      return 400;
    case AuthErrorCode.SetupAlreadyDone:
    case AuthErrorCode.EmailTaken:
    case AuthErrorCode.TwoFactorAlreadyEnabled:
    case AuthErrorCode.TwoFactorNotEnrolled:
      return 409;
    case AuthErrorCode.SessionNotFound:
      return 404;
    case AuthErrorCode.TooManyAttempts:
      return 429;
  }
}

export class AuthException extends AppException {
  readonly status: number;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForAuthError(code);
  }
}
