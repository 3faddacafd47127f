// Every API route states who may call it and with which scope; a route that states nothing is
// refused (fail closed). The check runs before the body is even read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '../domain/access.ts';
import type { Person } from '../domain/entries.ts';
import { bearerCredentials, type Caller, type TokenVerifier } from './auth.ts';
import { problem, sendProblem } from './problems.ts';

/** `person`: a signed-in user's token; `client`: a machine client (client credentials). */
export type RouteAuth = 'public' | { readonly scope: ApiScope | null; readonly principal: 'person' | 'client' };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Route options for a guarded route: the auth config and its OpenAPI security requirement. */
export function guarded(scope: ApiScope | null, principal: 'person' | 'client' = 'person') {
  return {
    config: { auth: { scope, principal } satisfies RouteAuth },
    security: [{ bearer: scope ? [scope] : [] }],
  };
}

/** Called once per person the API sees (external providers: the local directory learns them). */
export type OnPerson = (person: NonNullable<Caller['person']>) => Promise<void>;

export function installGuard(app: FastifyInstance, verifier: TokenVerifier, onPerson?: OnPerson): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return;
    const auth = request.routeOptions.config.auth;
    if (auth === 'public') return;
    if (!auth) {
      request.log.error({ route: request.routeOptions.url }, 'route declares no scope: refused');
      return sendProblem(reply, problem(403, 'This route is not available.'));
    }
    const token = bearerCredentials(request.headers.authorization);
    if (token === undefined) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, problem(401, 'An access token is required (Authorization: Bearer …).'));
    }
    if (token === null) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      return sendProblem(reply, problem(401, 'The Authorization header is not a bearer token.'));
    }
    const caller = await verifier.verify(token);
    request.caller = caller;
    if (auth.principal === 'person' && !caller.person) {
      return sendProblem(reply, problem(403, 'This route serves people; machine clients may only upload.'));
    }
    if (auth.principal === 'client' && caller.person) {
      return sendProblem(reply, problem(403, 'This route serves machine clients only.'));
    }
    if (auth.scope && !caller.scopes.has(auth.scope)) {
      reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${auth.scope}"`);
      return sendProblem(reply, problem(403, `This needs the ${auth.scope} scope.`));
    }
    if (caller.person && onPerson) await onPerson(caller.person);
  });
}

/** The signed-in person behind a guarded `person` route. */
export function personOf(request: FastifyRequest): Person & { kind: string; roles: readonly string[] } {
  const person = request.caller?.person;
  if (!person) throw new Error('personOf() on a route that is not guarded for people');
  return person;
}

export function clientIdOf(request: FastifyRequest): string {
  const caller = request.caller;
  if (!caller || caller.person) throw new Error('clientIdOf() on a route that is not guarded for clients');
  return caller.clientId ?? caller.sub;
}
