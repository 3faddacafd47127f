// Authorization Code + PKCE (S256) with oauth4webapi. The code is exchanged by this page; the
// refresh token that comes with it stays in memory and is rotated by the provider on every use.
import * as oauth from 'oauth4webapi';
import { AuthError, toAuthError } from './errors.ts';
import { expiresAtFrom, grantedScopes, type Flow, type FlowContext, type TokenSet } from './flow.ts';
import type { IdTokenClaims } from './implicit-response.ts';

export function codeFlow(context: FlowContext): Flow {
  const { as, client, config, redirectUri, http } = context;
  const none = oauth.None();

  function toTokenSet(response: oauth.TokenEndpointResponse, previous?: TokenSet): TokenSet {
    // A refresh response may omit the ID token: the one from signing in still names the user.
    const claims = (oauth.getValidatedIdTokenClaims(response) as IdTokenClaims | undefined) ?? previous?.claims;
    const idToken = response.id_token ?? previous?.idToken;
    if (!claims || !idToken) throw new AuthError('invalid_response', 'The sign-in response lacks an ID token.');
    return {
      accessToken: response.access_token,
      idToken,
      claims,
      scopes: grantedScopes(response.scope, config.scope),
      expiresAt: expiresAtFrom(response.expires_in),
      // Rotation: a refresh response carries the next refresh token; the used one is now void.
      refreshToken: response.refresh_token,
    };
  }

  return {
    async prepare() {
      const verifier = oauth.generateRandomCodeVerifier();
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      return { verifier, params: { response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' } };
    },

    async complete(response, secrets) {
      if (!secrets?.verifier) throw new AuthError('invalid_state', 'No sign-in was started in this tab.');
      try {
        const params = oauth.validateAuthResponse(as, client, response, secrets.state);
        const tokenResponse = await oauth.authorizationCodeGrantRequest(as, client, none, params, redirectUri, secrets.verifier, http);
        return toTokenSet(
          await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, { expectedNonce: secrets.nonce, requireIdToken: true }),
        );
      } catch (error) {
        throw fromOauthError(error);
      }
    },

    async refresh(tokens) {
      if (!tokens.refreshToken) throw new AuthError('login_required', 'There is no refresh token.');
      try {
        const response = await oauth.refreshTokenGrantRequest(as, client, none, tokens.refreshToken, http);
        return toTokenSet(await oauth.processRefreshTokenResponse(as, client, response), tokens);
      } catch (error) {
        throw fromOauthError(error);
      }
    },
  };
}

function fromOauthError(error: unknown): AuthError {
  if (error instanceof oauth.AuthorizationResponseError || error instanceof oauth.ResponseBodyError) {
    return new AuthError(error.error, error.error_description ?? 'The sign-in did not complete.', { cause: error });
  }
  if (error instanceof oauth.OperationProcessingError && /"state"/.test(error.message)) {
    return new AuthError('invalid_state', 'The sign-in response belongs to another sign-in attempt.', { cause: error });
  }
  return toAuthError(error);
}
