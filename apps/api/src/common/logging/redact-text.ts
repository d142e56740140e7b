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
    .replace(/\b(bearer)\s+[a-z0-9._~+/=-]+/gi, '$1 [redacted]');
}
