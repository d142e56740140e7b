/**
 * Base of every domain error. A module defines its own subclass with a code enum and maps each
 * code to an HTTP status in one exhaustive switch (see `http-status-for` in that module), so a
 * new code cannot be forgotten. The message is shown to the client: it must be clear and must
 * never contain a secret, a connection string or an internal address.
 */
export abstract class AppException extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Seconds for a `Retry-After` header (429 and 503 answers that will pass); none when unset. */
  retryAfterSeconds?: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
