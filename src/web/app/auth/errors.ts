// Why signing in did not work, as a code the UI can explain. Messages never contain tokens.

/** OAuth error codes from the provider, plus our own for what the client itself refused. */
export type AuthErrorCode =
  | 'access_denied'
  | 'login_required'
  | 'interaction_required'
  | 'consent_required'
  | 'invalid_state'
  | 'invalid_token'
  | 'timeout'
  | 'network'
  | (string & {});

/** Answers to prompt=none meaning only "nobody is signed in here": not worth showing. */
const SIGNED_OUT_CODES = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
  }

  get signedOut(): boolean {
    return SIGNED_OUT_CODES.has(this.code);
  }
}

/** Turns whatever a sign-in step threw into an AuthError, keeping an AuthError as it is. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof TypeError) return new AuthError('network', 'The sign-in service could not be reached.', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new AuthError('invalid_response', `The sign-in response was not valid: ${message}`, { cause: error });
}
