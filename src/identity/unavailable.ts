// The database being away, as the provider tells its clients: 503 temporarily_unavailable (an
// error page for a browser, JSON for a client, or the client's redirect URI with that error),
// never a 500, and never a request left without an answer.
import { errors } from 'oidc-provider';
import { isDatabaseUnavailable } from '../storage/index.ts';

export const UNAVAILABLE_DESCRIPTION = 'The service is temporarily unavailable. Try again shortly.';
/** Sent with the 503s the provider's mount answers itself. */
export const RETRY_AFTER_SECONDS = 5;

function temporarilyUnavailable(cause: unknown): Error {
  // oidc-provider hides the message of a 5xx error unless it is marked as safe to show.
  return Object.assign(new errors.OIDCProviderError(503, 'temporarily_unavailable', { cause }), {
    expose: true,
    error_description: UNAVAILABLE_DESCRIPTION,
  });
}

/** The database being away, as it failed or as unavailableWhenDown turned it. */
export function isUnavailable(error: unknown): boolean {
  return isDatabaseUnavailable(error) || (error instanceof errors.OIDCProviderError && error.error === 'temporarily_unavailable');
}

/** `store` whose methods fail with temporarily_unavailable when the database is away. */
export function unavailableWhenDown<Store extends object>(store: Store): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          throw isDatabaseUnavailable(error) ? temporarilyUnavailable(error) : error;
        }
      };
    },
  });
}
