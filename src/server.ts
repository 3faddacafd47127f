// Composes the parts into one HTTP server: the provider (/oidc), the API (/api), the web app (/).
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { apiPlugin, localKeySource, remoteKeySource } from './api/index.ts';
import { bootstrapTenant, identityPlugin, publicJwks, type IdentityHandle } from './identity/index.ts';
import { loggerOptions } from './logging.ts';
import { openDatabase, type Database } from './storage/index.ts';

export interface System {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly identity?: IdentityHandle;
  /** Listens on the configured host and port; resolves with the bound address. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Use this database instead of opening `config.databaseUrl` (tests share one). */
  readonly database?: Database;
  readonly keyRefreshMs?: number;
}

const THEME_CSS = new URL('./web/theme.css', import.meta.url);

export async function buildSystem(config: Config, options: BuildOptions = {}): Promise<System> {
  const database = options.database ?? (await openDatabase(config.databaseUrl));
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    trustProxy: config.trustProxy,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });

  let identity: IdentityHandle | undefined;
  try {
    if (config.parts.has('idp')) {
      const tenant = await bootstrapTenant(config, database.stores);
      if (tenant.demoSeeded) {
        app.log.warn(
          'DEMO MODE: demo users with the published password "demo-password" are active. Never expose this instance.',
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
      // In-process provider: read its key set directly; otherwise trust only its published JWKS.
      const keys = identity ? localKeySource(identity.keySet, publicJwks) : remoteKeySource(config.oidcIssuer);
      await app.register(apiPlugin, { prefix: '/api', config, stores: database.stores, keys });
    }

    const theme = await readFile(THEME_CSS);
    app.get('/theme.css', async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(theme),
    );
    app.get('/healthz', async () => ({ status: 'ok' }));
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
      await app.close();
      if (!options.database) await database.close();
    },
  };
}
