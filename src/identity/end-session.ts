// RP-initiated logout after the signing keys were revoked (keys rotate --revoke-previous): an app
// that has not renewed its tokens since still holds an ID token signed by a withdrawn key, and
// oidc-provider refuses such an id_token_hint outright, leaving the provider session alive. The hint
// is only a hint: without it the provider asks the person to confirm (our Sign out page) and checks
// post_logout_redirect_uri against client_id as usual. A hint naming a published key, or malformed,
// goes to the provider untouched (it validates, or refuses, as before).
import { decodeProtectedHeader } from 'jose';
import type { KeySet } from './keys.ts';

export const END_SESSION_PATH = '/session/end';

/** The end-session URL (path and query) without an id_token_hint whose signing key is withdrawn. */
export function withoutWithdrawnKeyHint(url: string, keySet: KeySet): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const params = new URLSearchParams(url.slice(queryAt + 1));
  const hint = params.get('id_token_hint');
  if (!hint) return url;
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(hint).kid;
  } catch {
    return url;
  }
  if (typeof kid !== 'string' || keySet.jwks.keys.some((key) => key.kid === kid)) return url;
  params.delete('id_token_hint');
  return `${url.slice(0, queryAt)}?${params}`;
}
