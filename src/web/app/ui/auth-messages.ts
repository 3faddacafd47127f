// Why signing in did not work, in words for people.
import type { AuthError } from '../auth/errors.ts';

export function explainAuthError(error: AuthError): string {
  switch (error.code) {
    case 'access_denied':
      return 'Sign-in was cancelled or refused.';
    case 'invalid_state':
      return 'This sign-in response does not belong to a sign-in started in this tab (it may be old, or come from a link), so it was not used.';
    case 'invalid_token':
      return 'The sign-in response could not be verified, so it was not used.';
    case 'network':
    case 'timeout':
      return 'The sign-in service could not be reached.';
    default:
      return error.message;
  }
}
