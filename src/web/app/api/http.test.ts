// The API client's handling of 401 (one renewal and one retry, then the session ends) and of
// problem+json errors. The auth client and fetch are stand-ins: this is about the client's logic.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './http.ts';

function fakeAuth() {
  let token = 'token-1';
  return {
    getAccessToken: vi.fn(async () => token),
    renew: vi.fn(async () => {
      token = 'token-2';
    }),
    expire: vi.fn(),
  };
}

function respondWith(...responses: Response[]) {
  const fetch = vi.fn(async (_url: URL, _init: RequestInit) => responses.shift() ?? new Response(null, { status: 500 }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const problem = (status: number, body: object) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/problem+json' } });
const authorizationOf = (init: RequestInit | undefined) => (init?.headers as Record<string, string>).authorization;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('API client', () => {
  it('sends the bearer token to the API base with the query', async () => {
    const fetch = respondWith(Response.json({ items: [] }));
    const api = createApiClient('/api', fakeAuth(), 'https://app.example');
    await api.json('GET', '/timesheets', { query: { from: '2026-11-16', cursor: undefined } });
    const [url, init] = fetch.mock.calls[0]!;
    expect(String(url)).toBe('https://app.example/api/timesheets?from=2026-11-16');
    expect(authorizationOf(init)).toBe('Bearer token-1');
  });

  it('renews once after a 401 and retries with the new token', async () => {
    const fetch = respondWith(new Response(null, { status: 401 }), Response.json({ ok: true }));
    const auth = fakeAuth();
    const api = createApiClient('/api', auth, 'https://app.example');
    expect(await api.json('GET', '/me')).toEqual({ ok: true });
    expect(auth.renew).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls.map(([, init]) => authorizationOf(init))).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(auth.expire).not.toHaveBeenCalled();
  });

  it('ends the session when the API refuses the renewed token too', async () => {
    respondWith(new Response(null, { status: 401 }), problem(401, { status: 401, title: 'Unauthorized' }));
    const auth = fakeAuth();
    const api = createApiClient('/api', auth, 'https://app.example');
    await expect(api.json('GET', '/me')).rejects.toMatchObject({ status: 401 });
    expect(auth.renew).toHaveBeenCalledTimes(1);
    expect(auth.expire).toHaveBeenCalledTimes(1);
  });

  it('turns problem+json into an ApiError with field errors named like the form fields', async () => {
    respondWith(
      problem(422, {
        status: 422,
        title: 'Unprocessable Content',
        detail: 'this would make 27.5 hours on one day',
        errors: [{ field: 'hours', message: "the day's total may not exceed 24 hours" }, { field: '/notes', message: 'too long' }],
      }),
    );
    const api = createApiClient('/api', fakeAuth(), 'https://app.example');
    const error = await api.json('POST', '/timesheets', { body: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      message: 'this would make 27.5 hours on one day',
      errors: [
        { field: 'hours', message: "the day's total may not exceed 24 hours" },
        { field: 'notes', message: 'too long' },
      ],
    });
  });
});
