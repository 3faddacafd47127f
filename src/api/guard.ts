// Every API route states who may call it and with which scope; a route that states nothing is
// refused (fail closed). The check runs before the body is even read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '../domain/access.ts';
import type { Person } from '../domain/entries.ts';
import { bearerCredentials, type Caller, type TokenVerifier } from './auth.ts';
import { problem, sendProblem } from './problems.ts';
import type { RateWindow } from '../rate-window.ts';

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

export interface GuardOptions {
  readonly verifier: TokenVerifier;
  /** Per caller (a person or a client), not per address: many people share one office address. */
  readonly perCaller: RateWindow;
  readonly onPerson?: OnPerson;
}

/**
 * Guards every route registered on `app` from now on, by what the route declares: its hook is
 * chosen once, when the route is added, and runs before the body is read. A route that declares
 * nothing gets a hook that refuses every request (fail closed).
 */
export function installGuard(app: FastifyInstance, options: GuardOptions): void {
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    if (auth === 'public') return;
    const hook = auth ? guardFor(auth, options) : refuseUndeclared(route.url);
    route.onRequest = [hook, ...[route.onRequest ?? []].flat()];
  });
}

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

function refuseUndeclared(url: string): OnRequest {
  return (request, reply) => {
    request.log.error({ route: url }, 'route declares no scope: refused');
    sendProblem(reply, problem(403, 'This route is not available.'));
  };
}

/**
 * The check for a route declaring `auth`. Written with a callback instead of async: a token
 * verified before (the common case) is then checked without a promise and its turn of the
 * microtask queue. A hook that answers does not call `done`; Fastify stops there.
 */
function guardFor(auth: Exclude<RouteAuth, 'public'>, { verifier, perCaller, onPerson }: GuardOptions): OnRequest {
  const admit = (caller: Caller, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
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
    const wait = perCaller.hit(`caller:${caller.sub}`);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return sendProblem(reply, problem(429, `Too many requests; retry in ${wait} second${wait === 1 ? '' : 's'}.`));
    }
    if (caller.person && onPerson) onPerson(caller.person).then(() => done(), done);
    else done();
  };
  return (request, reply, done) => {
    const token = bearerCredentials(request.headers.authorization);
    if (token === undefined) {
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, problem(401, 'An access token is required (Authorization: Bearer …).'));
    }
    if (token === null) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      return sendProblem(reply, problem(401, 'The Authorization header is not a bearer token.'));
    }
    const known = verifier.alreadyVerified(token);
    if (known) return admit(known, request, reply, done);
    verifier.verify(token).then((caller) => admit(caller, request, reply, done), done);
  };
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
