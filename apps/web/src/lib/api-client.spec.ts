import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiRequest, setCsrfToken } from './api-client';

describe('apiRequest', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends the CSRF token on state-changing requests only', async () => {
    const fetchMock = vi
      .fn()
      .mockImplementation(() => Promise.resolve(new Response('{}', { status: 200 })));
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('tok-1');
    await apiRequest('POST', '/api/x', { a: 1 });
    await apiRequest('GET', '/api/x');
    const [, post] = fetchMock.mock.calls[0] as [string, RequestInit];
    const [, get] = fetchMock.mock.calls[1] as [string, RequestInit];
    expect((post.headers as Record<string, string>)['x-csrf-token']).toBe('tok-1');
    expect((get.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
  });

  it('turns the error shape into an ApiError with the correlation id', async () => {
    const body = {
      statusCode: 400,
      error: 'Bad Request',
      message: 'email: must be an email address',
      correlationId: 'c-1',
    };
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(new Response(JSON.stringify(body), { status: 400 })),
    );
    const error = await apiRequest('POST', '/api/auth/login', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('email: must be an email address');
    expect((error as ApiError).correlationId).toBe('c-1');
  });
});
