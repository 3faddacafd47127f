// Composes the parts into one HTTP server: the provider (/oidc), the API (/api), the web app (/).
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { DestinationStream, Logger } from 'pino';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { servedOverHttps, type Config } from './config.ts';
import { cspReportRoutes } from './csp-reports.ts';
import { apiPlugin, localKeySource, remoteKeySource, type KeySource } from './api/index.ts';
import { bootstrapTenant, identityPlugin, publicJwks, seedDemoProjects, type IdentityHandle } from './identity/index.ts';
import { loggerOptions, requestLoggerFactory } from './logging.ts';
import { PROJECT_ROOT } from './project-root.ts';
import { baselineHeaders } from './security-headers.ts';
import { openDatabase, type Database } from './storage/index.ts';
import { webPlugin } from './web/index.ts';

export interface System {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly identity?: IdentityHandle;
  /** Listens on the configured host and port; resolves with the bound address. */
  listen(): Promise<string>;
  /** Readiness turns false at once; in-flight requests finish; then the database closes. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Use this database instead of opening `config.databaseUrl` (tests share one). */
  readonly database?: Database;
  readonly keyRefreshMs?: number;
  /** Where JSON logs go (default: standard output). */
  readonly logStream?: DestinationStream;
}

const THEME_CSS = new URL('src/web/theme.css', PROJECT_ROOT);

const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;
const READINESS_TIMEOUT_MS = 2000;

export async function buildSystem(config: Config, options: BuildOptions = {}): Promise<System> {
  const database =
    options.database ??
    (await openDatabase(config.databaseUrl, {
      poolSize: config.databasePoolSize,
      sqliteSynchronous: config.sqliteSynchronous,
      sqliteBackgroundCheckpoints: true,
    }));
  const logger = loggerOptions(config.logLevel, options.logStream);
  const app = Fastify({
    logger,
    ...(logger ? { childLoggerFactory: requestLoggerFactory } : {}),
    // Our onResponse hook writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A hop count trusts that many proxies in front of us (and no client-supplied address).
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // 1 MiB; a larger body is refused with 413 (the upload route has its own, larger limit: schemas.ts).
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  let stopping = false;

  // One structured line per request: who, which route, what status, how long. Never a token.
  // Hooks on every request take a callback rather than being async: no promise per hook.
  app.addHook('onResponse', (request, reply, done) => {
    const level = request.url === '/healthz' || request.url === '/readyz' ? 'debug' : 'info';
    // Nothing is gathered for a line that would not be written (routeOptions builds an object).
    if ((request.log as Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled?.(level) ?? true) {
      request.log[level](
        {
          route: request.routeOptions.url ?? null,
          method: request.method,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          userId: request.caller?.person?.sub ?? null,
          clientId: request.caller?.clientId ?? null,
        },
        'request completed',
      );
    }
    done();
  });
  const baseline = baselineHeaders(servedOverHttps(config));
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(baseline);
    done(null, payload);
  });

  let identity: IdentityHandle | undefined;
  let apiKeys: KeySource | undefined;
  try {
    if (config.parts.has('idp')) {
      const tenant = await bootstrapTenant(config, database.stores);
      if (tenant.demoCredentialsActive) {
        app.log.warn(
          'DEMO MODE: demo credentials published in the README (users, import secret) are active. Never expose this instance.',
        );
      }
      identity = await identityPlugin(app, {
        config,
        stores: database.stores,
        cookieKeys: tenant.cookieKeys,
        keyRefreshMs: options.keyRefreshMs,
      });
    }

    if (config.parts.has('api')) {
      // With an external provider there is no tenant bootstrap here; demo projects still help.
      if (!config.embeddedProvider && config.demo) await seedDemoProjects(database.stores);
      // In-process provider: read its key set directly; otherwise trust only its published JWKS.
      apiKeys = identity
        ? localKeySource(identity.keySet, publicJwks)
        : remoteKeySource(config.oidcIssuer, { refreshMs: config.jwksRefreshSeconds * 1000 });
      await app.register(apiPlugin, { prefix: '/api', config, stores: database.stores, keys: apiKeys });
      const keys = apiKeys;
      app.addHook('onClose', async () => keys.close());
    }

    if (config.parts.has('web')) await app.register(webPlugin, { config });

    await app.register(cspReportRoutes);
    const theme = await readFile(THEME_CSS);
    app.get('/theme.css', async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(theme),
    );

    // Liveness depends on nothing; readiness on the database and the keys. Neither says more.
    app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      if (stopping) return reply.code(503).send({ status: 'stopping' });
      const databaseUp = await Promise.race([
        sql`select 1`.execute(database.db).then(() => true, () => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, READINESS_TIMEOUT_MS, false)),
      ]);
      const keysLoaded = apiKeys ? apiKeys.ready() : true;
      if (!databaseUp || !keysLoaded) return reply.code(503).send({ status: 'unavailable' });
      return { status: 'ready' };
    });
  } catch (error) {
    await app.close();
    if (!options.database) await database.close();
    throw error;
  }

  return {
    app,
    database,
    identity,
    async listen() {
      return app.listen({ port: config.port, host: config.host });
    },
    async close() {
      stopping = true;
      // Keep-alive connections finish their request, then are closed as soon as they fall idle.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      if (!options.database) await database.close();
    },
  };
}
