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
      return 400;
    case AuthErrorCode.SetupAlreadyDone:
    case AuthErrorCode.EmailTaken:
      return 409;
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
