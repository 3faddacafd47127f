// Calls the Timesheets API with the access token. A 401 gets one silent renewal and a retry; a
// second 401 ends the session, and the app asks the user to sign in again. Errors arrive as
// application/problem+json and become ApiError, with field errors for the forms.
import type { FieldError } from '../../../domain/errors.ts';
import type { AuthClient } from '../auth/client.ts';

/** The message is the problem's detail, or its title when it has none. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: readonly FieldError[];
  constructor(status: number, message: string, errors: readonly FieldError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
  }
}

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  json<T>(method: string, path: string, options?: { query?: Query; body?: unknown }): Promise<T>;
  /** For downloads (CSV): the raw body. */
  blob(path: string, query?: Query): Promise<Blob>;
}

export function createApiClient(
  baseUrl: string,
  auth: Pick<AuthClient, 'getAccessToken' | 'renew' | 'expire'>,
  origin = window.location.origin,
): ApiClient {
  const base = new URL(baseUrl.replace(/\/?$/, '/'), origin);

  function urlOf(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    return url;
  }

  async function send(method: string, url: URL, body: unknown, accept: string): Promise<Response> {
    const attempt = async () => {
      const headers: Record<string, string> = { accept, authorization: `Bearer ${await auth.getAccessToken()}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      try {
        return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch {
        throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
      }
    };
    let response = await attempt();
    if (response.status === 401) {
      await auth.renew();
      response = await attempt();
      if (response.status === 401) auth.expire();
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  }

  return {
    async json<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}) {
      const response = await send(method, urlOf(path, options.query), options.body, 'application/json');
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async blob(path, query) {
      return (await send('GET', urlOf(path, query), undefined, 'text/csv')).blob();
    },
  };
}

async function problemOf(response: Response): Promise<ApiError> {
  const fallback = response.statusText || `HTTP ${response.status}`;
  let problem: { title?: unknown; detail?: unknown; errors?: unknown } = {};
  if (/json/.test(response.headers.get('content-type') ?? '')) {
    problem = ((await response.json().catch(() => ({}))) ?? {}) as typeof problem;
  }
  const errors = Array.isArray(problem.errors)
    ? problem.errors
        .filter((e): e is { field: unknown; message: unknown } => typeof e === 'object' && e !== null)
        .map((e) => ({ field: fieldName(String(e.field ?? '')), message: String(e.message ?? '') }))
    : [];
  const detail = typeof problem.detail === 'string' && problem.detail ? problem.detail : undefined;
  const title = typeof problem.title === 'string' && problem.title ? problem.title : fallback;
  return new ApiError(response.status, detail ?? title, errors);
}

/** `/hours`, `body.hours` and `hours` all name the form field `hours`. */
function fieldName(path: string): string {
  return path.split(/[/.]/).filter(Boolean).pop() ?? '';
}
