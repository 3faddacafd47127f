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

/** A failure unavailableWhenDown turned into temporarily_unavailable (and reported then). */
export function isReportedUnavailable(error: unknown): boolean {
  return error instanceof errors.OIDCProviderError && error.error === 'temporarily_unavailable';
}

/** The database being away, as it failed or as unavailableWhenDown turned it. */
export function isUnavailable(error: unknown): boolean {
  return isDatabaseUnavailable(error) || isReportedUnavailable(error);
}

/**
 * `store` whose methods fail with temporarily_unavailable when the database is away, after handing
 * the cause to `report` (oidc-provider logs nothing of an error it may show to clients).
 */
export function unavailableWhenDown<Store extends object>(store: Store, report: (cause: unknown) => void): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
          report(error);
          throw temporarilyUnavailable(error);
        }
      };
    },
  });
}
