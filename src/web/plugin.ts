// Serves the single-page app built into dist/web (`npm run build`), its run-time settings, and
// the headers that keep the page strict: scripts from our origin only, not frameable except the
// callback by our own origin (silent renewal), no referrer, nothing cached that holds a response.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { servedOverHttps, type Config } from '../config.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { htmlPageHeaders } from '../security-headers.ts';
import { APP_ROUTES, SIGNED_OUT_STATE } from './routes.ts';

const DIST = new URL('dist/web/', PROJECT_ROOT);

/** Everything the app may ask for; the provider grants what the user's roles allow. */
const APP_SCOPE = 'openid profile email read:timesheets create:timesheets delete:timesheets approve:timesheets';

/** What the browser needs to know, read at run time so one build serves any deployment. */
function appConfig(config: Config) {
  return {
    issuer: config.oidcIssuer,
    clientId: config.spaClientId,
    flow: config.authFlow,
    apiBaseUrl: '/api',
    resource: config.apiAudience,
    resourceParameter: config.authResourceParameter,
    scope: APP_SCOPE,
  };
}

/** The page's Content-Security-Policy, but for who may frame it (see htmlPageHeaders). */
function cspDirectives(config: Config): string[] {
  // An external provider (Auth0, Keycloak) is contacted by the page: discovery, keys, token, userinfo,
  // and the silent-renewal frame.
  const issuer = new URL(config.oidcIssuer).origin;
  const provider = issuer === new URL(config.publicUrl).origin ? '' : ` ${issuer}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${provider}`,
    `frame-src 'self'${provider}`,
    // The app's forms are handled by script; nothing is ever posted by the browser itself.
    "form-action 'none'",
    "object-src 'none'",
    ...(servedOverHttps(config) ? ['upgrade-insecure-requests'] : []),
  ];
}

export async function webPlugin(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const { config } = options;
  const index = await readFile(new URL('index.html', DIST), 'utf8').catch(() => undefined);
  if (!index) app.log.warn('The web app is not built (no dist/web/index.html): run `npm run build`.');

  const csp = cspDirectives(config);
  const headers = { app: htmlPageHeaders(csp, "'none'"), callback: htmlPageHeaders(csp, "'self'") };

  const sendIndex = (reply: FastifyReply, which: keyof typeof headers) => {
    if (!index) return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built: run `npm run build`.');
    return reply.headers(headers[which]).type('text/html; charset=utf-8').send(index);
  };

  // The app's own paths: each answers with index.html; the router in the page picks the screen.
  for (const route of APP_ROUTES) {
    app.get<{ Querystring: { state?: string } }>(route, async (request, reply) => {
      // The logout's landing: nothing the app kept (the last project typed, caches) outlives the session.
      if (route === '/' && request.query.state === SIGNED_OUT_STATE) reply.header('clear-site-data', '"cache", "storage"');
      return sendIndex(reply, 'app');
    });
  }
  // The one page our own origin may frame: the silent-renewal frame lands here.
  app.get('/callback', async (_request, reply) => sendIndex(reply, 'callback'));

  const settings = JSON.stringify(appConfig(config));
  app.get('/app-config.json', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(settings),
  );

  if (!index) return;
  const favicon = await readFile(new URL('favicon.svg', DIST));
  // Browsers ask for /favicon.ico on pages without an icon link (the provider's sign-in pages).
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(favicon));
  }
  // Hashed file names: a new build has new names, so the old ones may be cached for good.
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('assets/', DIST)),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
  });
}
