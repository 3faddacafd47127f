// What differs between the two sign-in flows, behind one shape; client.ts does the rest once.
import type * as oauth from 'oauth4webapi';
import { parseScope } from '../../../domain/access.ts';
import type { AttemptSecrets } from './attempt.ts';
import type { RuntimeConfig } from './config.ts';
import type { IdTokenClaims } from './implicit-response.ts';

/** Held in memory only (see client.ts). */
export interface TokenSet {
  readonly accessToken: string;
  readonly idToken: string;
  readonly claims: IdTokenClaims;
  readonly scopes: readonly string[];
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Code flow only: rotated on every use. */
  readonly refreshToken?: string;
}

export interface FlowContext {
  readonly config: RuntimeConfig;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly redirectUri: string;
  /** oauth4webapi's request options (http allowed for a loopback issuer during development). */
  readonly http: { readonly [oauth.allowInsecureRequests]?: boolean };
}

export interface Flow {
  /** The flow's own authorization request parameters; may add a secret (the PKCE verifier). */
  prepare(): Promise<{ params: Record<string, string>; verifier?: string }>;
  /** Validates an authorization response for the attempt that `secrets` belong to; returns tokens. */
  complete(response: URL, secrets: AttemptSecrets | undefined): Promise<TokenSet>;
  /** Renews without the browser, when the flow can (the code flow's refresh token). */
  refresh?(tokens: TokenSet): Promise<TokenSet>;
}

/** Access-token lifetime to assume when the provider does not say (it always should). */
const DEFAULT_LIFETIME_SECONDS = 300;

export function expiresAtFrom(expiresIn: number | undefined, now = Date.now()): number {
  return now + (expiresIn ?? DEFAULT_LIFETIME_SECONDS) * 1000;
}

/** A token response without `scope` was granted what was asked for (RFC 6749 section 5.1). */
export function grantedScopes(scope: string | undefined, requested: string): string[] {
  return parseScope(scope ?? requested);
}
