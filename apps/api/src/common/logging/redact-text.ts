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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A request URL as it may be logged, for any URL that may hold an invitation token: one whose
 * decoded text names `invit...` anywhere (path in any case, percent-encoded, a longer or shorter
 * "token", or inside a query such as `/sign-in?next=%2Finvite%2F<token>`). Such a URL keeps
 * only its path up to the `/invit...` segment, then `/[redacted]`; without that segment it
 * keeps nothing but the marker. Other URLs are logged as they are.
 */
export function redactUrl(url: string): string {
  const decoded = decodeLeniently(url);
  if (!/invit/i.test(decoded)) return url;
  const end = decoded.search(/[?#]/);
  const path = end === -1 ? decoded : decoded.slice(0, end);
  const segment = /^([^\s]*?\/invit[a-z]*)(?:\/|$)/i.exec(path);
  if (!segment) return '[redacted: may hold an invitation link]';
  // An admin's route names invitations by id (a UUID), never by token: it stays readable.
  const after = path.slice(segment[1].length).split('/').filter(Boolean);
  if (end === -1 && after.every((p) => UUID.test(p) || p === 'resend')) return url;
  return `${segment[1]}/[redacted]`;
}

/** `decodeURIComponent`, applied until nothing changes (twice-encoded text too); never throws. */
function decodeLeniently(text: string): string {
  let current = text;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
    }
    if (next === current) break;
    current = next;
  }
  return current;
}
