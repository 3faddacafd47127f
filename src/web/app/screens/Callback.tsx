// Where the provider sends the browser back. The response was taken out of the address bar before
// the app started (main.ts); here the user sees progress, or what went wrong and a way to retry.
import { explainAuthError } from '../ui/auth-messages.ts';
import { Page } from '../ui/Page.tsx';
import { Link } from '../ui/router.tsx';
import { useAuthState, useServices } from '../ui/services.tsx';
import { Loading } from '../ui/states.tsx';

export function Callback() {
  const state = useAuthState();
  const { auth } = useServices();
  if (state.status !== 'failed') return <Loading label="Signing you in…" />;
  return (
    <Page title="Sign-in failed" heading="Sign-in did not complete">
      <div className="card narrow">
        <p className="alert alert-error" role="alert">
          {explainAuthError(state.error)}
        </p>
        <div className="card-actions">
          <button type="button" className="button button-primary" onClick={() => void auth.login('/')}>
            Try again
          </button>
          <Link to="/" className="button">
            Go to the home page
          </Link>
        </div>
      </div>
    </Page>
  );
}
