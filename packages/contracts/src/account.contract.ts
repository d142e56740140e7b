import { z } from 'zod';

/** `POST /api/auth/two-factor/enrol` -> the seed to scan; active only after confirm. */
export const ZTwoFactorEnrolResponse = z.object({
  /** `otpauth://totp/...` URI; the web app renders it as a QR code. */
  otpauthUri: z.string(),
  /** The base32 seed, for typing into an app by hand. */
  secret: z.string(),
});
export type TTwoFactorEnrolResponse = z.infer<typeof ZTwoFactorEnrolResponse>;

/** A 6-digit code from the authenticator app (spaces allowed). */
export const ZTotpCode = z
  .string()
  .trim()
  .regex(/^\d{3}\s?\d{3}$/, 'must be the 6-digit code from your authenticator app');

/** `POST /api/auth/two-factor/confirm` {code} -> {recoveryCodes} (shown once). */
/**
 * `POST /api/auth/two-factor/enrol`: the account password again, so a stolen session alone
 * cannot put its own authenticator on the account (and lock the owner out).
 */
export const ZTwoFactorEnrolRequest = z.object({
  password: z.string().min(1, 'is required').max(1024),
});
export type TTwoFactorEnrolRequest = z.infer<typeof ZTwoFactorEnrolRequest>;

export const ZTwoFactorConfirmRequest = z.object({ code: ZTotpCode });
export type TTwoFactorConfirmRequest = z.infer<typeof ZTwoFactorConfirmRequest>;

export const ZRecoveryCodesResponse = z.object({ recoveryCodes: z.array(z.string()) });
export type TRecoveryCodesResponse = z.infer<typeof ZRecoveryCodesResponse>;

/** `POST /api/auth/two-factor/disable`: a current code (TOTP or recovery) or the password. */
export const ZTwoFactorDisableRequest = z
  .object({
    code: z.string().trim().min(6).max(64).optional(),
    password: z.string().min(1).max(1024).optional(),
  })
  .refine((v) => v.code !== undefined || v.password !== undefined, {
    message: 'give a current two-factor code or your password',
    path: ['code'],
  });
export type TTwoFactorDisableRequest = z.infer<typeof ZTwoFactorDisableRequest>;

/** `POST /api/auth/two-factor/recovery-codes` {code} -> new codes; the old ones stop working. */
export const ZRegenerateRecoveryCodesRequest = z.object({ code: ZTotpCode });
export type TRegenerateRecoveryCodesRequest = z.infer<typeof ZRegenerateRecoveryCodesRequest>;

/** `GET /api/auth/two-factor` -> whether it is on and how many recovery codes are left. */
export const ZTwoFactorStatusResponse = z.object({
  enabled: z.boolean(),
  recoveryCodesLeft: z.number().int(),
});
export type TTwoFactorStatusResponse = z.infer<typeof ZTwoFactorStatusResponse>;

/** `POST /api/auth/password`: signs out every other session of the account. */
export const ZChangePasswordRequest = z.object({
  currentPassword: z.string().min(1, 'is required').max(1024),
  newPassword: z.string().max(256),
});
export type TChangePasswordRequest = z.infer<typeof ZChangePasswordRequest>;

/**
 * `GET /api/auth/sessions`: the caller's live sessions, newest first. `id` is the session's
 * public id: random, unrelated to the cookie token or its hash, so it opens nothing; pass it to
 * `DELETE /api/auth/sessions/:sessionId`.
 */
/**
 * How a session signed in (the strength a policy checks, like OIDC's `amr`, RFC 8176):
 * `password` alone, `password+totp` (a TOTP code from the authenticator), or `recovery-code`
 * (password and a single-use recovery code).
 */
export const ZSignInMethod = z.enum(['password', 'password+totp', 'recovery-code']);
export type TSignInMethod = z.infer<typeof ZSignInMethod>;
/** Sign-in methods that satisfy a workspace's "require two-factor". */
export const TWO_FACTOR_SIGN_IN_METHODS: readonly TSignInMethod[] = [
  'password+totp',
  'recovery-code',
];

export const ZSessionInfo = z.object({
  id: z.uuid(),
  signInMethod: ZSignInMethod,
  createdAt: z.string(),
  lastSeenAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});
export type TSessionInfo = z.infer<typeof ZSessionInfo>;
export const ZSessionListResponse = z.array(ZSessionInfo);
export type TSessionListResponse = z.infer<typeof ZSessionListResponse>;

/**
 * The message of the 401 `two_factor_required` answer to `POST /api/auth/login`: the password
 * was right and a second factor is needed. The web app shows the code step when it sees it.
 */
export const TWO_FACTOR_REQUIRED_MESSAGE =
  'Enter the 6-digit code from your authenticator app, or a recovery code';
