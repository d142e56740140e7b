/**
 * Masks credentials that drivers and libraries tend to put in error messages: URL userinfo
 * (`postgres://user:pw@host`), `password=...` pairs and bearer tokens. Applied to every error
 * message and stack before it reaches the log. Defence in depth: callers must not put secrets
 * in errors in the first place.
 */
export function redactText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/\s]*@/gi, '$1:[redacted]@')
    .replace(
      /\b(password|passwd|pwd|secret|token|api[_-]?key)("?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi,
      '$1$2[redacted]',
    )
    .replace(/\b(bearer)\s+[a-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(INVITATION_TOKEN_IN_PATH, '$1/[redacted]');
}

/**
 * An invitation token in a URL path: `/invite/<token>` (web) or `/api/invitations/<token>`
 * (43 base64url characters; invitation ids are 36-character UUIDs and stay readable).
 */
const INVITATION_TOKEN_IN_PATH = /(\/invit(?:e|ations))\/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/** A request URL as it may be logged: invitation tokens masked (see {@link redactText}). */
export function redactUrl(url: string): string {
  return url.replace(INVITATION_TOKEN_IN_PATH, '$1/[redacted]');
}
