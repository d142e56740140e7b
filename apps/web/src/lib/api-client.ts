import { ZErrorResponse } from '@bastion/contracts';

/** An API error as the server describes it; `correlationId` lets support find the log line. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly correlationId: string | undefined,
    /** 409 on a stale `If-Match`: the version the resource is at now. */
    readonly currentVersion?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** True for the 409 of a stale `If-Match` (someone else saved first), not other conflicts. */
export function isVersionConflict(e: unknown): e is ApiError & { currentVersion: number } {
  return e instanceof ApiError && e.status === 409 && typeof e.currentVersion === 'number';
}

/** Request options: `ifMatch` sends `If-Match: "<version>"` (optimistic concurrency). */
export interface RequestOptions {
  ifMatch?: number;
}

let csrfToken: string | undefined;

/** Remembers the CSRF token that login and `GET /api/me` return. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/**
 * Calls the API with the session cookie and, on state-changing methods, the `x-csrf-token`
 * header. Throws {@link ApiError} with the server's message and correlation id on failure.
 */
export async function apiRequest<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection.', undefined);
  }
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const parsed = ZErrorResponse.safeParse(data);
    throw parsed.success
      ? new ApiError(
          parsed.data.statusCode,
          parsed.data.message,
          parsed.data.correlationId,
          parsed.data.currentVersion,
        )
      : new ApiError(response.status, `Request failed (${response.status})`, undefined);
  }
  return data as T;
}
