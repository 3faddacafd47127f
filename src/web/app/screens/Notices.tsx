// Screens that explain why there is nothing to show: signed out, not allowed, not found.
import { Page } from '../ui/Page.tsx';
import { Link, useLocation } from '../ui/router.tsx';
import { useServices } from '../ui/services.tsx';

export function SignInRequired({ expired }: { expired: boolean }) {
  const { auth } = useServices();
  const { here } = useLocation();
  return (
    <Page title={expired ? 'Session ended' : 'Log in'} heading={expired ? 'Your session has ended' : 'Log in to continue'}>
      <div className="card narrow">
        <p>{expired ? 'For your security you were signed out. Log in again to carry on where you were.' : 'This page shows your own timesheets, so you need to log in first.'}</p>
        <div className="card-actions">
          <button type="button" className="button button-primary" onClick={() => void auth.login(here)}>
            Log in
          </button>
        </div>
      </div>
    </Page>
  );
}

export function NotAllowed() {
  return (
    <Page title="Not allowed">
      <div className="card narrow">
        <p>Approving timesheets is for managers. Your account was not granted the <code>approve:timesheets</code> scope.</p>
        <Link to="/timesheets" className="button">
          Go to your timesheets
        </Link>
      </div>
    </Page>
  );
}

export function NotFound() {
  return (
    <Page title="Page not found">
      <div className="card narrow">
        <p>There is no page at this address.</p>
        <Link to="/" className="button">
          Go to the home page
        </Link>
      </div>
    </Page>
  );
}
