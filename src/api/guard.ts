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
 * Registers the routes `register` adds in a scope of their own, each guarded by what it declares.
 * The guard is in place before `register` runs, so no route of the scope escapes it. Each route's
 * check is chosen once, when the route is added, and runs before the body is read; a route that
 * declares nothing refuses every request (fail closed).
 */
export async function registerGuarded(
  app: FastifyInstance,
  options: GuardOptions,
  register: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      const auth = route.config?.auth;
      if (auth === 'public') return;
      const hook = auth ? guardFor(auth, options) : refuseUndeclared(route.url);
      route.onRequest = [hook, ...[route.onRequest ?? []].flat()];
    });
    await register(scope);
  });
}

type Done = (error?: Error) => void;
type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: Done) => void;

/** Answers with a problem. A hook that answers returns nothing and never calls `done`: Fastify stops there. */
function refuse(reply: FastifyReply, status: number, detail: string, challenge?: string): void {
  if (challenge) reply.header('www-authenticate', challenge);
  sendProblem(reply, problem(status, detail));
}

function refuseUndeclared(url: string): OnRequest {
  return (request, reply) => {
    request.log.error({ route: url }, 'route declares no scope: refused');
    refuse(reply, 403, 'This route is not available.');
  };
}

/**
 * The check for a route declaring `auth`. Written with a callback instead of async: a token
 * verified before (the common case) is then checked without a promise and its turn of the
 * microtask queue.
 */
function guardFor(auth: Exclude<RouteAuth, 'public'>, { verifier, perCaller, onPerson }: GuardOptions): OnRequest {
  const admit = (caller: Caller, request: FastifyRequest, reply: FastifyReply, done: Done): void => {
    request.caller = caller;
    if (auth.principal === 'person' && !caller.person) {
      refuse(reply, 403, 'This route serves people; machine clients may only upload.');
    } else if (auth.principal === 'client' && caller.person) {
      refuse(reply, 403, 'This route serves machine clients only.');
    } else if (auth.scope && !caller.scopes.has(auth.scope)) {
      refuse(reply, 403, `This needs the ${auth.scope} scope.`, `Bearer error="insufficient_scope", scope="${auth.scope}"`);
    } else {
      const wait = perCaller.hit(`caller:${caller.sub}`);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        refuse(reply, 429, `Too many requests; retry in ${wait} second${wait === 1 ? '' : 's'}.`);
      } else if (caller.person && onPerson) {
        onPerson(caller.person).then(() => done(), done);
      } else {
        done();
      }
    }
  };
  return (request, reply, done) => {
    const token = bearerCredentials(request.headers.authorization);
    if (token === undefined) return refuse(reply, 401, 'An access token is required (Authorization: Bearer …).', 'Bearer');
    if (token === null) return refuse(reply, 401, 'The Authorization header is not a bearer token.', 'Bearer error="invalid_token"');
    const known = verifier.alreadyVerified(token);
    if (known) return admit(known, request, reply, done);
    verifier.verify(token).then((caller) => {
      // Inside a promise a throw would be an unhandled rejection; Fastify answers it as an error instead.
      try {
        admit(caller, request, reply, done);
      } catch (error) {
        done(error as Error);
      }
    }, done);
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
