// openid-client as an independent relying party against the real provider.
import * as client from 'openid-client';
import { DEMO_PASSWORD } from '../../src/identity/index.ts';
import { UserAgent } from './user-agent.ts';

export const SPA_CLIENT_ID = 'timesheets-spa';
export const USER_SCOPE = 'openid profile email read:timesheets create:timesheets delete:timesheets approve:timesheets';

/**
 * The SPA's authorization request as a browser would start it (code + PKCE with a fixed challenge),
 * for tests that drive the provider by hand; `params` adds or overrides any parameter.
 */
export function authorizeUrl(issuer: string, params: Record<string, string> = {}): string {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: SPA_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return url.href;
}

export async function discover(issuer: string, clientId: string, secret?: string): Promise<client.Configuration> {
  return client.discovery(
    new URL(issuer),
    clientId,
    secret,
    secret ? client.ClientSecretBasic(secret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

export interface CodeSignIn {
  readonly tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  readonly agent: UserAgent;
  readonly config: client.Configuration;
}

export interface CodeOptions {
  readonly email: string;
  readonly password?: string;
  readonly scope?: string;
  /** The public client signing in; the web app's by default. */
  readonly clientId?: string;
  readonly agent?: UserAgent;
  readonly extra?: Record<string, string>;
}

/** Where the provider sent the browser back, and what the relying party kept to redeem a code. */
interface Authorization {
  readonly verifier: string;
  readonly state: string;
  /** `${baseUrl}/callback` with the code and state, or with the provider's error. */
  readonly callback: string;
  readonly agent: UserAgent;
  readonly config: client.Configuration;
}

export interface IssuedCode extends Authorization {
  readonly code: string;
}

/** Authorization Code + PKCE through the real sign-in page, up to the redirect back. */
async function authorize(issuer: string, baseUrl: string, options: CodeOptions): Promise<Authorization> {
  const config = await discover(issuer, options.clientId ?? SPA_CLIENT_ID);
  const agent = options.agent ?? new UserAgent();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const redirectUri = `${baseUrl}/callback`;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? USER_SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...options.extra,
  });
  const { url: callback } = await agent.follow(url.href, redirectUri, {
    email: options.email,
    password: options.password ?? DEMO_PASSWORD,
  });
  return { verifier, state, callback, agent, config };
}

/** Up to the code, not redeemed; the provider redirecting back with an error throws it. */
export async function authorizationCode(issuer: string, baseUrl: string, options: CodeOptions): Promise<IssuedCode> {
  const authorization = await authorize(issuer, baseUrl, options);
  const answer = new URL(authorization.callback).searchParams;
  const code = answer.get('code');
  if (!code) throw new Error(`no code: the provider answered ${answer.get('error') ?? 'nothing'} (${answer.get('error_description') ?? ''})`);
  return { ...authorization, code };
}

/** Authorization Code + PKCE through the real sign-in page, and the code redeemed (openid-client checks the answer). */
export async function signInWithCode(issuer: string, baseUrl: string, options: CodeOptions): Promise<CodeSignIn> {
  const { config, agent, callback, verifier, state } = await authorize(issuer, baseUrl, options);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { tokens, agent, config };
}

/** The guide's Implicit flow (`id_token token`), returning the fragment's parameters. */
export async function signInImplicit(
  issuer: string,
  baseUrl: string,
  options: { email: string; nonce: string; state: string; scope?: string; agent?: UserAgent; prompt?: string },
): Promise<{ params: URLSearchParams; agent: UserAgent; callback: string }> {
  const agent = options.agent ?? new UserAgent();
  const redirectUri = `${baseUrl}/callback`;
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: SPA_CLIENT_ID,
    response_type: 'id_token token',
    redirect_uri: redirectUri,
    scope: options.scope ?? USER_SCOPE,
    nonce: options.nonce,
    state: options.state,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  }).toString();
  const { url: callback } = await agent.follow(url.href, redirectUri, { email: options.email, password: DEMO_PASSWORD });
  return { params: new URLSearchParams(new URL(callback).hash.slice(1)), agent, callback };
}

export { client };
