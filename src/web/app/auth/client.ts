// One AuthClient for both flows (chosen by the runtime config): signing in, restoring a session,
// renewing tokens before they expire, and signing out at the provider.
//
// Tokens live in this closure only: never in localStorage, sessionStorage, IndexedDB or a cookie,
// and never logged. A reload or a new tab therefore starts without them and restores the session
// silently (prompt=none in a hidden frame, see silent-frame.ts); the code flow then renews with its
// rotated refresh token, the Implicit flow with the silent frame again.
import * as oauth from 'oauth4webapi';
import { isLoopbackUrl } from '../../../domain/loopback.ts';
import { SIGNED_OUT_STATE } from '../../routes.ts';
import { saveAttempt, takeAttempt, type AttemptSecrets } from './attempt.ts';
import { codeFlow } from './code-flow.ts';
import type { RuntimeConfig } from './config.ts';
import { AuthError, toAuthError } from './errors.ts';
import type { Flow, FlowContext, TokenSet } from './flow.ts';
import { implicitFlow } from './implicit-flow.ts';
import { authorizeInFrame } from './silent-frame.ts';

export interface SignedInUser {
  readonly sub: string;
  readonly name: string;
  readonly email: string | undefined;
  readonly scopes: ReadonlySet<string>;
}

export type AuthState =
  | { readonly status: 'starting' }
  | { readonly status: 'signed-out'; readonly expired: boolean }
  | { readonly status: 'signed-in'; readonly user: SignedInUser }
  | { readonly status: 'failed'; readonly error: AuthError };

export interface AuthClient {
  readonly flow: RuntimeConfig['flow'];
  getState(): AuthState;
  subscribe(listener: () => void): () => void;
  /** Goes to the provider's sign-in page; `returnTo` is the app path to come back to. Never rejects. */
  login(returnTo?: string): Promise<void>;
  /** Completes a top-level sign-in; resolves with the path to continue at, or null on failure. */
  handleCallback(response: URL): Promise<string | null>;
  /** Restores the session silently after a reload or in a new tab; signed out if there is none. */
  restore(): Promise<void>;
  /** A current access token, renewed first when it is about to expire. */
  getAccessToken(): Promise<string>;
  /** Renews the tokens now; on failure the session is over (state: signed out, expired). */
  renew(): Promise<void>;
  /** The API refused even fresh tokens: forget them and ask the user to sign in again. */
  expire(): void;
  /** Ends the provider session (RP-initiated logout), which returns to the home page. */
  logout(): Promise<void>;
  /** The provider's userinfo for the signed-in user. */
  userinfo(): Promise<oauth.UserInfoResponse>;
}

/** Renew this long before expiry (or at three quarters of a short lifetime). */
const RENEW_MARGIN_MS = 60_000;
/** getAccessToken renews first when less than this is left. */
const MIN_REMAINING_MS = 10_000;
/** After a failed renewal that may be passing (network, timeout), try again this much later. */
const RETRY_MS = 30_000;
const TRANSIENT_CODES = new Set(['network', 'timeout']);

export function createAuthClient(config: RuntimeConfig): AuthClient {
  const redirectUri = `${window.location.origin}/callback`;
  let discovery: Promise<Discovered> | undefined;
  let tokens: TokenSet | undefined;
  let state: AuthState = { status: 'starting' };
  let renewal: Promise<void> | undefined;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();

  const setState = (next: AuthState) => {
    state = next;
    for (const listener of listeners) listener();
  };

  /** Discovery once, on first use; retried after a failure. */
  function ready() {
    discovery ??= discover(config, redirectUri).catch((error: unknown) => {
      discovery = undefined;
      throw toAuthError(error);
    });
    return discovery;
  }

  function scheduleRenewal(delay: number) {
    clearTimeout(renewTimer);
    renewTimer = setTimeout(() => void renew().catch(() => undefined), delay);
  }

  function accept(next: TokenSet) {
    tokens = next;
    const lifetime = next.expiresAt - Date.now();
    scheduleRenewal(Math.max(lifetime - Math.min(RENEW_MARGIN_MS, lifetime / 4), 0));
    const { claims } = next;
    setState({
      status: 'signed-in',
      user: {
        sub: claims.sub,
        name: claims.name ?? claims.email ?? claims.sub,
        email: claims.email,
        scopes: new Set(next.scopes),
      },
    });
  }

  function forget(expired: boolean) {
    tokens = undefined;
    clearTimeout(renewTimer);
    setState({ status: 'signed-out', expired });
  }

  /** A fresh attempt: new state, nonce (and PKCE verifier), and the URL that commits to them. */
  async function authorizationRequest(extra: Record<string, string> = {}) {
    const { flow, authorizationEndpoint } = await ready();
    const prepared = await flow.prepare();
    const secrets: AttemptSecrets = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      verifier: prepared.verifier,
    };
    const url = new URL(authorizationEndpoint);
    const params: Record<string, string> = {
      client_id: config.clientId,
      redirect_uri: redirectUri,
      scope: config.scope,
      state: secrets.state,
      nonce: secrets.nonce,
      ...prepared.params,
      ...extra,
    };
    if (config.resource) params[config.resourceParameter] = config.resource;
    url.search = new URLSearchParams(params).toString();
    return { url, secrets, flow };
  }

  /** prompt=none in a hidden frame; the attempt's secrets never leave this function. */
  async function silentSignIn(): Promise<TokenSet> {
    const { url, secrets, flow } = await authorizationRequest({ prompt: 'none' });
    return flow.complete(await authorizeInFrame(url), secrets);
  }

  async function renewNow(): Promise<void> {
    const { flow } = await ready();
    if (flow.refresh && tokens?.refreshToken) {
      try {
        return accept(await flow.refresh(tokens));
      } catch {
        // The refresh token was revoked or has expired: the provider session may still hold.
      }
    }
    accept(await silentSignIn());
  }

  const usable = (current: TokenSet | undefined) => current !== undefined && current.expiresAt - Date.now() > MIN_REMAINING_MS;

  /**
   * One renewal at a time: with rotation, two refreshes with one token would revoke the grant.
   * A failure ends the session, unless it may be passing and the current token still works.
   */
  function renew(): Promise<void> {
    renewal ??= renewNow()
      .catch((error: unknown) => {
        const reason = toAuthError(error);
        if (TRANSIENT_CODES.has(reason.code) && usable(tokens)) scheduleRenewal(RETRY_MS);
        else forget(true);
        throw reason;
      })
      .finally(() => {
        renewal = undefined;
      });
    return renewal;
  }

  async function getAccessToken(): Promise<string> {
    if (!tokens) throw new AuthError('login_required', 'You are not signed in.');
    if (!usable(tokens)) await renew();
    if (!tokens) throw new AuthError('login_required', 'Your session has ended.');
    return tokens.accessToken;
  }

  return {
    flow: config.flow,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async login(returnTo = '/') {
      try {
        const { url, secrets } = await authorizationRequest();
        saveAttempt({ ...secrets, returnTo, startedAt: Date.now() });
        window.location.assign(url);
      } catch (error) {
        setState({ status: 'failed', error: toAuthError(error) });
      }
    },

    async handleCallback(response) {
      setState({ status: 'starting' });
      const attempt = takeAttempt();
      try {
        const { flow } = await ready();
        accept(await flow.complete(response, attempt));
        return attempt?.returnTo ?? '/';
      } catch (error) {
        setState({ status: 'failed', error: toAuthError(error) });
        return null;
      }
    },

    async restore() {
      if (tokens) return;
      try {
        accept(await silentSignIn());
      } catch (error) {
        const reason = toAuthError(error);
        // "Nobody is signed in" is the normal answer; anything else is worth a trace (no secrets in it).
        if (!reason.signedOut) console.warn(`Silent sign-in failed: ${reason.code}: ${reason.message}`);
        forget(false);
      }
    },

    getAccessToken,
    renew,
    expire: () => forget(true),

    async logout() {
      const idToken = tokens?.idToken;
      // Forget the tokens first: even if the provider cannot be reached, this page holds none.
      forget(false);
      const { context: { as } } = await ready();
      if (!as.end_session_endpoint) {
        window.location.assign(`/?state=${SIGNED_OUT_STATE}`);
        return;
      }
      const url = new URL(as.end_session_endpoint);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        post_logout_redirect_uri: `${window.location.origin}/`,
        state: SIGNED_OUT_STATE,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).toString();
      window.location.assign(url);
    },

    async userinfo() {
      const { context: { as, client, http } } = await ready();
      const response = await oauth.userInfoRequest(as, client, await getAccessToken(), http);
      return oauth.processUserInfoResponse(as, client, tokens?.claims.sub ?? oauth.skipSubjectCheck, response);
    },
  };
}

interface Discovered {
  readonly flow: Flow;
  readonly context: FlowContext;
  readonly authorizationEndpoint: string;
}

async function discover(config: RuntimeConfig, redirectUri: string): Promise<Discovered> {
  const issuer = new URL(config.issuer);
  // Plain http only for a provider on this machine during development (the server's production
  // guard refuses an http issuer elsewhere).
  const http = issuer.protocol === 'http:' && isLoopbackUrl(issuer) ? { [oauth.allowInsecureRequests]: true } : {};
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...http, algorithm: 'oidc' }));
  const authorizationEndpoint = as.authorization_endpoint;
  if (!authorizationEndpoint) throw new AuthError('invalid_response', 'The sign-in service has no authorization endpoint.');
  const context: FlowContext = { config, as, client: { client_id: config.clientId }, redirectUri, http };
  return { flow: config.flow === 'pkce' ? codeFlow(context) : implicitFlow(context), context, authorizationEndpoint };
}
