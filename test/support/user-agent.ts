// A browser without a browser: a cookie jar, manual redirects, and a hand that fills the sign-in form.
// It talks to the real provider over HTTP, so what it proves holds for a real browser too.

export interface Hop {
  readonly url: string;
  readonly status: number;
  readonly location?: string;
  readonly body?: string;
}

/** A TLS-terminating proxy in front of the server: `origin` (https) is served by `target` (http). */
interface ProxyRoute {
  readonly origin: string;
  readonly target: string;
}

export class UserAgent {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, as sent. */
  readonly setCookies: string[] = [];
  readonly #proxy: ProxyRoute | undefined;

  constructor(options: { proxy?: ProxyRoute } = {}) {
    this.#proxy = options.proxy;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    const proxy = this.#proxy;
    if (proxy && url.startsWith(proxy.origin)) {
      headers['x-forwarded-proto'] = 'https';
      headers['x-forwarded-host'] = new URL(proxy.origin).host;
      url = proxy.target + url.slice(proxy.origin.length);
    }
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      this.setCookies.push(setCookie);
      const [pair = ''] = setCookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      const expired = /expires=Thu, 01 Jan 1970/i.test(setCookie) || /max-age=0/i.test(setCookie);
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows redirects from `url` until one arrives at `stopAt` (returned, not fetched). Sign-in
   * forms are filled with `credentials`; the sign-out confirmation is confirmed.
   */
  async follow(
    url: string,
    stopAt: string | ((url: URL) => boolean),
    credentials?: { email: string; password: string },
  ): Promise<{ url: string; hops: Hop[] }> {
    const arrived = typeof stopAt === 'string' ? (u: URL) => u.href.startsWith(stopAt) : stopAt;
    const hops: Hop[] = [];
    let next = url;
    let form: Record<string, string> | undefined;
    for (let i = 0; i < 20; i++) {
      if (arrived(new URL(next))) return { url: next, hops };
      const response = await this.request(next, { form });
      form = undefined;
      const location = response.headers.get('location') ?? undefined;
      if (response.status >= 300 && response.status < 400 && location) {
        hops.push({ url: next, status: response.status, location });
        next = new URL(location, next).href;
        continue;
      }
      const body = await response.text();
      hops.push({ url: next, status: response.status, body });
      const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&');
      if (!action) throw new Error(`stopped at ${next} (${response.status}): ${body.slice(0, 300)}`);
      if (body.includes('name="password"')) {
        if (!credentials || hops.filter((h) => h.body?.includes('name="password"')).length > 1) {
          throw new SignInPageError(next, response.status, body, response.headers);
        }
        form = { email: credentials.email, password: credentials.password };
      } else if (body.includes('op.logoutForm')) {
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
        form = { xsrf, logout: 'yes' };
      } else {
        throw new Error(`unexpected page at ${next}: ${body.slice(0, 300)}`);
      }
      next = new URL(action, next).href;
    }
    throw new Error('too many redirects');
  }
}

/** The provider asked for a password (again): the session did not carry the user through. */
export class SignInPageError extends Error {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  constructor(url: string, status: number, body: string, headers: Headers) {
    super(`sign-in page shown at ${url} (${status})`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
