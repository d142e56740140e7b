import type { FastifyReply, FastifyRequest } from 'fastify';
import { hash, randomBytes } from 'node:crypto';

/**
 * The device cookie ("Slow Down Online Guessing Attacks with Device Cookies", OWASP; OWASP
 * Authentication Cheat Sheet, "Account Lockout"): a random token a browser gets after a
 * successful sign-in. Sent only to the sign-in route.
 */
export const DEVICE_COOKIE = 'bastion_device';
const DEVICE_COOKIE_PATH = '/api/auth/login';

/** How long a browser stays known after its last successful sign-in (ms): 180 days. */
export const KNOWN_DEVICE_TTL_MS = 180 * 86_400_000;

/** A new device token: 256 random bits, base64url. */
export function newDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Device tokens are stored by their SHA-256 (hex) only. */
export function deviceTokenHash(token: string): string {
  return hash('sha256', `device:${token}`, 'hex');
}

/** The device token the request carries, if it has the shape of one. */
export function presentedDeviceToken(request: FastifyRequest): string | undefined {
  const token = request.cookies?.[DEVICE_COOKIE];
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : undefined;
}

/**
 * Sets the device cookie like the session cookie (httpOnly, SameSite=Lax, Secure when the
 * request came over HTTPS), scoped to the sign-in route, for {@link KNOWN_DEVICE_TTL_MS}.
 */
export function setDeviceCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: Date,
): void {
  void reply.setCookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    path: DEVICE_COOKIE_PATH,
    expires: expiresAt,
  });
}
