// The Timesheets API under /api: a resource server that trusts only access tokens from the
// configured issuer. Its OpenAPI document is generated from the schemas that validate requests.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { RateWindow } from '../rate-window.ts';
import { htmlPageHeadersButCsp } from '../security-headers.ts';
import { SCOPE_DESCRIPTIONS, USER_API_SCOPES } from '../domain/access.ts';
import type { Stores } from '../storage/index.ts';
import { tokenVerifier } from './auth.ts';
import { allowCrossOriginFrom } from './cors.ts';
import { registerGuarded, type OnPerson } from './guard.ts';
import type { KeySource } from './keys.ts';
import { errorHandler, problem, sendProblem } from './problems.ts';
import { accountRoutes } from './routes/account.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { entryRoutes } from './routes/entries.ts';
import { uploadRoutes } from './routes/upload.ts';
import { EntrySchema, ProblemSchema } from './schemas.ts';
import { timesheetService } from './timesheets.ts';
import { addSharedSchema, validatorCompiler } from './validation.ts';

/**
 * With an external provider the people live there; the import job still names owners by email, so
 * the API keeps a directory of the people it has seen (once per person and process).
 */
function rememberPeople(stores: Stores) {
  const seen = new Map<string, string>();
  const remember: OnPerson = async (person) => {
    if (!person.emailKnown) return;
    const fingerprint = `${person.email}|${person.name}|${person.kind}|${person.roles.join(' ')}`;
    if (seen.get(person.sub) === fingerprint) return;
    await stores.users.rememberExternal({ id: person.sub, email: person.email, name: person.name, kind: person.kind, roles: person.roles });
    if (seen.size > 100_000) seen.clear();
    seen.set(person.sub, fingerprint);
  };
  return remember;
}

/**
 * How clients get tokens: the embedded provider's endpoints are known; an external provider's
 * are found through its discovery document (their paths differ from vendor to vendor).
 */
function securityScheme(config: Config) {
  const description = 'JWT access tokens for this API (Authorization: Bearer …)';
  if (!config.embeddedProvider) {
    return {
      type: 'openIdConnect' as const,
      description,
      openIdConnectUrl: `${config.oidcIssuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    };
  }
  return {
    type: 'oauth2' as const,
    description,
    flows: {
      authorizationCode: {
        authorizationUrl: `${config.oidcIssuer}/auth`,
        tokenUrl: `${config.oidcIssuer}/token`,
        scopes: Object.fromEntries(USER_API_SCOPES.map((scope) => [scope, SCOPE_DESCRIPTIONS[scope]])),
      },
      clientCredentials: {
        tokenUrl: `${config.oidcIssuer}/token`,
        scopes: { 'batch:upload': SCOPE_DESCRIPTIONS['batch:upload'] },
      },
    },
  };
}

export interface ApiOptions {
  readonly config: Config;
  readonly stores: Stores;
  readonly keys: KeySource;
}

export async function apiPlugin(app: FastifyInstance, { config, stores, keys }: ApiOptions): Promise<void> {
  const verifier = tokenVerifier(
    {
      issuer: config.oidcIssuer,
      audience: config.apiAudience,
      algorithms: config.tokenAlgorithms,
      requireAtJwtTyp: config.requireAtJwtTyp,
      scopeClaim: config.scopeClaim,
      claimNamespace: config.claimNamespace,
    },
    keys,
  );
  const service = timesheetService(stores);

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, `There is no ${request.method} ${request.url.split('?')[0]}.`)),
  );
  // JSON only: a form or text body is refused with 415 instead of being guessed at.
  app.removeContentTypeParser('text/plain');
  // Browsers may call the API from the web app's origin only (the same origin by default).
  allowCrossOriginFrom(app, new URL(config.publicUrl).origin);
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('cross-origin-resource-policy', 'same-site');
    done(null, payload);
  });
  for (const schema of [EntrySchema, ProblemSchema]) {
    app.addSchema(schema);
    addSharedSchema(schema);
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ABC Timesheets API',
        version: '1.0.0',
        description:
          'One API for every client: the web app, the import job, the mobile app. Every route needs an access token ' +
          `from ${config.oidcIssuer} for the audience ${config.apiAudience}, with the scope it names.`,
      },
      servers: [{ url: `${config.publicUrl}` }],
      components: {
        securitySchemes: { bearer: securityScheme(config) },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // The description and the readable docs are public; everything else is guarded.
  await app.register(async (docs) => {
    docs.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
    // Swagger UI's page: the headers of our other pages, and its own CSP (hashes of its inline
    // scripts) tightened: never framed, no image from the outside validator (which it is told not to use).
    docs.addHook('onSend', async (_request, reply) => {
      if (String(reply.getHeader('content-type')).startsWith('text/html')) reply.headers(htmlPageHeadersButCsp("'none'"));
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      transformStaticCSP: (csp) => csp.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(' validator.swagger.io', ''),
      uiConfig: { url: '/api/openapi.json', validatorUrl: null } as never,
    });
  });

  await registerGuarded(
    app,
    {
      verifier,
      // The same fixed window as the token endpoint's (our own: @fastify/rate-limit's hook and its three
      // X-RateLimit headers on every answer cost 2.4% of the server's CPU on the week view, profiled).
      perCaller: new RateWindow(config.apiRateLimitPerMinute, 60_000),
      ...(config.embeddedProvider ? {} : { onPerson: rememberPeople(stores) }),
    },
    async (guardedScope) => {
      await guardedScope.register(entryRoutes, { service });
      await guardedScope.register(approvalRoutes, { service });
      await guardedScope.register(uploadRoutes, { service });
      await guardedScope.register(accountRoutes, { stores });
    },
  );
}
