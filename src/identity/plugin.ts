// Mounts the embedded provider on the same origin at /oidc, with our own sign-in pages, and keeps
// it in step with the signing keys in the database (a rotation through any instance reaches all).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { bearerCredentials } from '../api/index.ts';
import { servedOverHttps, type Config } from '../config.ts';
import { RateWindow } from '../rate-window.ts';
import { baselineHeaders } from '../security-headers.ts';
import type { Stores } from '../storage/index.ts';
import { clientSecretMatches } from './clients.ts';
import { END_SESSION_PATH, withoutWithdrawnKeyHint } from './end-session.ts';
import { keySetFrom, type KeySet } from './keys.ts';
import { createProvider, INTERACTION_PATH } from './provider.ts';
import { errorPage, pageSecurityHeaders, signInPage } from './pages.ts';
import { verifyAgainstNothing, verifyPassword } from './passwords.ts';
import { loginThrottle } from './throttle.ts';
import { isReportedUnavailable, isUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_DESCRIPTION } from './unavailable.ts';
import { apiTokenUserinfo } from './userinfo.ts';

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** RFC 6749 §2.3.1 Basic client credentials (each part form-urlencoded), or undefined. */
function basicCredentials(authorization: string | undefined): { clientId: string; secret: string } | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    const part = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return { clientId: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export interface IdentityOptions {
  readonly config: Config;
  readonly stores: Stores;
  readonly cookieKeys: readonly string[];
  /** How often the key set is re-read from the database. */
  readonly keyRefreshMs?: number;
}

export interface IdentityHandle {
  /** The provider now serving requests (replaced when the signing keys change). */
  readonly provider: () => Provider;
  readonly keySet: () => KeySet;
  /** Re-reads the keys now; returns true when the provider was rebuilt. */
  readonly refreshKeys: () => Promise<boolean>;
}

const OIDC_PREFIX = '/oidc';
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const EXPIRED_ROW_GRACE_MS = 60 * 60 * 1000;

export async function identityPlugin(app: FastifyInstance, options: IdentityOptions): Promise<IdentityHandle> {
  const { config, stores, cookieKeys } = options;
  // One error line per request when the database is away, however often the provider retries a
  // store within that request (its error handler looks the client up again).
  const unavailableInRequest = new AsyncLocalStorage<{ reported: boolean }>();
  const reportUnavailable = (cause: unknown) => {
    const request = unavailableInRequest.getStore();
    if (request?.reported) return;
    if (request) request.reported = true;
    app.log.error({ err: cause }, 'database unavailable');
  };
  const build = (keySet: KeySet) => {
    const provider = createProvider({ config, stores, keySet, cookieKeys, reportUnavailable });
    provider.on('server_error', (_ctx, error) => app.log.error({ err: error }, 'identity provider error'));
    return { provider, keySet, callback: provider.callback() };
  };

  let current = build(keySetFrom(await stores.keys.published(Date.now())));

  async function refreshKeys(): Promise<boolean> {
    const keySet = keySetFrom(await stores.keys.published(Date.now()));
    if (keySet.fingerprint === current.keySet.fingerprint) return false;
    current = build(keySet);
    app.log.info({ signingKid: keySet.signingKid }, 'signing keys changed; provider reloaded');
    return true;
  }

  const timers = [
    setInterval(() => refreshKeys().catch((err) => app.log.warn({ err }, 'key refresh failed')), options.keyRefreshMs ?? 5000),
    setInterval(
      () => stores.oidc.sweep(EXPIRED_ROW_GRACE_MS).catch((err) => app.log.warn({ err }, 'sweeping expired provider state failed')),
      SWEEP_INTERVAL_MS,
    ),
  ];
  for (const timer of timers) timer.unref();
  app.addHook('onClose', async () => timers.forEach(clearInterval));

  const userinfo = apiTokenUserinfo(config, stores, () => current.keySet);

  const baseline = baselineHeaders(servedOverHttps(config));
  /**
   * Token requests are counted per client when its Basic credentials are right (a client id alone is
   * a claim: counting it would let anyone spend the import job's budget), else per address.
   */
  const tokenRequester = async (authorization: string | undefined, address: string): Promise<string> => {
    const credentials = basicCredentials(authorization);
    if (credentials) {
      const client = await stores.clients.find(credentials.clientId);
      const hash = client?.metadata.client_secret;
      if (typeof hash === 'string' && clientSecretMatches(hash, credentials.secret)) return `client:${credentials.clientId}`;
    }
    return `address:${address}`;
  };
  const tokenRequests = new RateWindow(config.tokenRateLimitPerMinute, 60_000);

  // Everything under /oidc is the provider's, except our own pages (more specific Fastify routes).
  // Its requests go to it untouched: the body is left unread for the provider to parse.
  await app.register(
    async (mount) => {
      mount.removeAllContentTypeParsers();
      mount.addContentTypeParser('*', (_request, _payload, done) => done(null));
      mount.all('/*', async (request, reply) => {
        reply.hijack();
        const req = request.raw as IncomingMessage & { originalUrl?: string };
        const res = reply.raw;
        // Hijacked: a failure here would otherwise leave the request without an answer.
        try {
          await unavailableInRequest.run({ reported: false }, () => handOver(req, res, request.ip));
        } catch (error) {
          answerFailure(res, error);
        }
      });
    },
    { prefix: OIDC_PREFIX },
  );

  /** Hands a request to the provider, after the token endpoint's rate limit and our userinfo for API tokens. */
  async function handOver(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, ip: string): Promise<void> {
    // Provider responses bypass Fastify's hooks: give them the same baseline headers.
    for (const [name, value] of Object.entries(baseline)) res.setHeader(name, value);
    req.originalUrl = req.url;
    req.url = req.url!.slice(OIDC_PREFIX.length) || '/';
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/token') {
      const wait = tokenRequests.hit(await tokenRequester(req.headers.authorization, ip));
      if (wait > 0) {
        res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(wait), 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'too many token requests; retry later' }));
        return;
      }
    }
    if (req.method === 'GET' && path === END_SESSION_PATH) req.url = withoutWithdrawnKeyHint(req.url, current.keySet);
    // A JWT is answered here after the API's checks; anything else goes to the provider's own userinfo.
    const bearer = bearerCredentials(req.headers.authorization);
    if (bearer && JWT_SHAPE.test(bearer) && path === '/me' && (req.method === 'GET' || req.method === 'POST')) {
      void answerUserinfo(bearer, res);
      return;
    }
    void current.callback(req, res);
  }

  /** Logs a failure once: one the stores turned into temporarily_unavailable was logged then. */
  function logFailure(error: unknown): void {
    if (isReportedUnavailable(error)) return;
    app.log.error({ err: error }, isUnavailable(error) ? 'database unavailable' : 'provider request failed');
  }

  /** A provider request that failed outside the provider (which answers its own failures). */
  function answerFailure(res: ServerResponse, error: unknown): void {
    const unavailable = isUnavailable(error);
    logFailure(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(unavailable ? 503 : 500, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...(unavailable ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}),
    });
    res.end(JSON.stringify(unavailable ? { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION } : { error: 'server_error' }));
  }

  async function answerUserinfo(token: string, res: ServerResponse): Promise<void> {
    try {
      const result = await userinfo(token);
      res.setHeader('cache-control', 'no-store');
      if (result.status === 200) {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result.body));
      } else {
        res.writeHead(result.status, { 'www-authenticate': result.challenge }).end();
      }
    } catch (error) {
      answerFailure(res, error);
    }
  }

  const throttle = loginThrottle(stores, config.loginThrottle);
  const sendPage = (reply: FastifyReply, status: number, html: string, formTargets: readonly string[] = []) =>
    reply.code(status).headers(pageSecurityHeaders(formTargets)).type('text/html; charset=utf-8').send(html);

  /** Where the finished interaction redirects; Chrome applies form-action to that redirect. */
  const formTargetsOf = (redirectUri: unknown): string[] => {
    const url = typeof redirectUri === 'string' ? URL.parse(redirectUri) : null;
    if (!url) return [];
    return [url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol];
  };

  async function details(request: FastifyRequest, reply: FastifyReply) {
    try {
      return await current.provider.interactionDetails(request.raw, reply.raw);
    } catch (error) {
      // Anything but a missing or expired interaction (a database outage, say) is not the user's doing.
      if (!(error instanceof errors.SessionNotFound)) throw error;
      sendPage(reply, 400, errorPage('Sign-in expired', 'This sign-in page has expired. Go back to the app and sign in again.'));
      return undefined;
    }
  }

  /** The sign-in page of one interaction, as first shown or shown again with an error. */
  async function signInPageFor(uid: string, params: Record<string, unknown>, shown: { email?: string; error?: string } = {}) {
    const client = await current.provider.Client.find(String(params.client_id));
    return signInPage({
      action: `${INTERACTION_PATH}/${uid}/login`,
      cancelUrl: `${INTERACTION_PATH}/${uid}/abort`,
      email: shown.email ?? (typeof params.login_hint === 'string' ? params.login_hint : undefined),
      error: shown.error,
      clientName: client?.clientName,
      demo: config.demo,
    });
  }

  // The sign-in pages, in their own scope: only they accept form bodies.
  await app.register(async (pages) => {
    await pages.register(formbody, { bodyLimit: 16 * 1024 });
    pages.setErrorHandler((error, _request, reply) => {
      if (!isUnavailable(error)) throw error;
      logFailure(error);
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendPage(reply, 503, errorPage('Sign-in is unavailable', UNAVAILABLE_DESCRIPTION));
    });
    pages.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction) return reply;
      const { uid, prompt, params } = interaction;
      if (prompt.name === 'consent') {
        const client = await current.provider.Client.find(String(params.client_id));
        // First-party clients never ask: the grant was computed from the user's roles (loadExistingGrant).
        // oidc-provider still stops native apps here once; the grant is already in place.
        if (client?.metadata().first_party && interaction.grantId) {
          return finish(request, reply, { consent: { grantId: interaction.grantId } });
        }
        return finish(request, reply, { error: 'access_denied', error_description: 'consent is not available for this client' });
      }
      return sendPage(reply, 200, await signInPageFor(uid, params), formTargetsOf(params.redirect_uri));
    });

    pages.post<{ Params: { uid: string }; Body: Record<string, unknown> }>(
      `${INTERACTION_PATH}/:uid/login`,
      async (request, reply) => {
        const interaction = await details(request, reply);
        if (!interaction) return reply;
        const { uid, params, prompt } = interaction;
        if (prompt.name !== 'login') return sendPage(reply, 400, errorPage('Sign-in failed', 'Unexpected sign-in step.'));
        const email = typeof request.body?.email === 'string' ? request.body.email.trim().slice(0, 320) : '';
        const password = typeof request.body?.password === 'string' ? request.body.password.slice(0, 1024) : '';
        const page = (error: string) => signInPageFor(uid, params, { email, error });
        const targets = formTargetsOf(params.redirect_uri);

        if (!email || !password) return sendPage(reply, 400, await page('Enter your email and password.'), targets);
        const verdict = await throttle.attempt(email, request.ip);
        if (verdict.blocked) {
          reply.header('retry-after', String(verdict.retryAfterSeconds));
          const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
          return sendPage(
            reply,
            429,
            await page(`Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`),
            targets,
          );
        }
        const user = await stores.users.findByEmail(email);
        const valid = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstNothing(password);
        if (!user || !valid || user.disabled) {
          // One message for a wrong email, a wrong password and a disabled account: nothing to enumerate.
          return sendPage(reply, 401, await page('Incorrect email or password.'), targets);
        }
        await throttle.succeeded(email, request.ip);
        return finish(request, reply, { login: { accountId: user.id } });
      },
    );

    pages.get<{ Params: { uid: string } }>(`${INTERACTION_PATH}/:uid/abort`, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction) return reply;
      return finish(request, reply, { error: 'access_denied', error_description: 'the user cancelled the sign-in' });
    });
  });

  async function finish(request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>) {
    reply.hijack(); // the provider writes the redirect on the raw response
    await current.provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
  }

  return { provider: () => current.provider, keySet: () => current.keySet, refreshKeys };
}
