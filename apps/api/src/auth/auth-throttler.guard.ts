import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { AuthErrorCode, AuthException } from './auth.exception';
import { invitationTokenHash } from '../workspaces/invitation-token';
import { deviceTokenHash, presentedDeviceToken } from './known-device-cookie';

type ThrottlerLimitDetail = Parameters<ThrottlerGuard['throwThrottlingException']>[1];

/** Name of the per-source-address throttler. */
export const THROTTLE_ADDRESS = 'address';
/** Name of the per-account throttler (the submitted email, or the signed-in user). */
export const THROTTLE_ACCOUNT = 'account';

/** Finds the account a device token is known for (see `KnownDeviceRepository`). */
export interface KnownDeviceLookup {
  userIdForDevice(email: string, tokenHash: string, now: Date): Promise<string | null>;
}

/**
 * The account an attempt is about: the invitation link on `/api/invitations/:token` routes
 * (keyed by the token's hash, so the token itself is never stored), the signed-in user on
 * account routes, else the submitted email, normalised like `ZEmail` (the guard runs before
 * validation). Keyed by what was submitted, so an unknown email is limited exactly like a real
 * one and a 429 reveals nothing.
 *
 * A sign-in from a known device of that account (a valid device cookie: the browser signed in
 * to it before) is keyed by the device instead: it has its own counter with the same limit and
 * is neither counted nor held by the account's, so someone guessing from elsewhere cannot lock
 * the owner out of their own browsers (OWASP Authentication Cheat Sheet, "Account Lockout";
 * OWASP "Slow Down Online Guessing Attacks with Device Cookies"). A device cookie of another
 * account, an expired or rotated one, or a made-up one changes nothing.
 */
async function accountTracker(
  req: Record<string, unknown>,
  devices: KnownDeviceLookup,
): Promise<string> {
  const request = req as unknown as FastifyRequest<{ Params: { token?: unknown } }>;
  const invitation = request.params?.token;
  if (typeof invitation === 'string') {
    return `invitation:${invitationTokenHash(invitation.slice(0, 256))}`;
  }
  if (request.auth) return `user:${request.auth.user.id}`;
  const body = request.body as { email?: unknown } | undefined;
  const email =
    typeof body?.email === 'string' ? body.email.trim().toLowerCase().slice(0, 320) : '';
  if (!email) return `address:${request.ip}`;
  const token = presentedDeviceToken(request);
  if (token) {
    const tokenHash = deviceTokenHash(token);
    if (await devices.userIdForDevice(email, tokenHash, new Date())) return `device:${tokenHash}`;
  }
  return `email:${email}`;
}

/**
 * Throttler options for the sign-in routes: per source address and per account (or per known
 * device, see {@link accountTracker}), fixed window, blocked for one window once exceeded (OWASP Authentication Cheat Sheet, "Protect against
 * automated attacks"; RFC 6238 section 5.2 asks for a limit on TOTP attempts).
 */
export function authThrottlerOptions(
  config: AppConfig,
  storage: ThrottlerStorage,
  devices: KnownDeviceLookup,
): ThrottlerModuleOptions {
  const { perAccount, perAddress, windowMs } = config.loginLimits;
  return {
    storage,
    throttlers: [
      {
        name: THROTTLE_ADDRESS,
        ttl: windowMs,
        limit: perAddress,
        blockDuration: windowMs,
        getTracker: (req) => `ip:${String((req as unknown as FastifyRequest).ip)}`,
      },
      {
        name: THROTTLE_ACCOUNT,
        ttl: windowMs,
        limit: perAccount,
        blockDuration: windowMs,
        getTracker: (req) => accountTracker(req, devices),
      },
    ],
  };
}

/**
 * Applied with `@UseGuards(AuthThrottlerGuard)` on login, setup, the two-factor and password
 * routes and the public invitation-link routes (not globally: other routes are not limited). Runs after the session guard. A refused
 * attempt is a 429 `too_many_attempts` with `Retry-After` in seconds, before any password work.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('retry-after', String(seconds));
    throw new AuthException(
      AuthErrorCode.TooManyAttempts,
      `Too many attempts; try again in ${formatWait(seconds)}`,
    );
  }
}

function formatWait(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
