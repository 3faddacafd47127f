// The guide's Implicit flow (`id_token token`), hardened: both tokens arrive in the fragment and
// are used only after implicit-response.ts has validated them against the provider's JWKS.
import { createRemoteJWKSet } from 'jose';
import { AuthError } from './errors.ts';
import { expiresAtFrom, grantedScopes, type Flow, type FlowContext } from './flow.ts';
import { validateImplicitResponse } from './implicit-response.ts';

export function implicitFlow({ as, config }: FlowContext): Flow {
  if (!as.jwks_uri) throw new AuthError('invalid_response', 'The sign-in service publishes no keys (jwks_uri).');
  // An ID token signed by a key not yet fetched refetches the keys at once (jose waits 30 s after a
  // fetch by default): after keys are revoked, the renewal's new key must not end the session.
  const keys = createRemoteJWKSet(new URL(as.jwks_uri), { cooldownDuration: 0 });
  return {
    async prepare() {
      return { params: { response_type: 'id_token token' } };
    },

    async complete(response, secrets) {
      // The response is in the fragment; a provider that cannot honour the request may use the query.
      const params = new URLSearchParams(response.hash ? response.hash.slice(1) : response.search);
      const result = await validateImplicitResponse(
        params,
        {
          issuer: as.issuer,
          clientId: config.clientId,
          state: secrets?.state,
          nonce: secrets?.nonce ?? '',
        },
        keys,
      );
      return {
        accessToken: result.accessToken,
        idToken: result.idToken,
        claims: result.claims,
        scopes: grantedScopes(result.scope, config.scope),
        expiresAt: expiresAtFrom(result.expiresIn),
      };
    },
  };
}
