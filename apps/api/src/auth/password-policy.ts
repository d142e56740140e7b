import { AuthErrorCode, AuthException } from './auth.exception';
import { COMMON_PASSWORDS } from './common-passwords';

/** Minimum length 12 (OWASP Authentication Cheat Sheet); 256 max bounds argon2 input. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Checks a new password against the policy.
 * @throws AuthException(WeakPassword, 400) with a message saying what to change.
 */
export function assertPasswordAcceptable(password: string, email?: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    throw new AuthException(
      AuthErrorCode.WeakPassword,
      `password: must be at least ${PASSWORD_MIN_LENGTH} characters`,
    );
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new AuthException(
      AuthErrorCode.WeakPassword,
      `password: must be at most ${PASSWORD_MAX_LENGTH} characters`,
    );
  }
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower) || (email !== undefined && lower === email.toLowerCase())) {
    throw new AuthException(
      AuthErrorCode.WeakPassword,
      'password: is too common; choose a longer phrase only you would use',
    );
  }
}
