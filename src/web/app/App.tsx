// The shell: top bar, the screen for the current route, and the gates in front of it (signing
// in, session ended, scope missing).
import type { ReactNode } from 'react';
import { Approvals } from './screens/Approvals.tsx';
import { Callback } from './screens/Callback.tsx';
import { EntryForm } from './screens/EntryForm.tsx';
import { Home } from './screens/Home.tsx';
import { MyTimesheets } from './screens/MyTimesheets.tsx';
import { NotAllowed, NotFound, SignInRequired } from './screens/Notices.tsx';
import { Profile } from './screens/Profile.tsx';
import { explainAuthError } from './ui/auth-messages.ts';
import { useLocation } from './ui/router.tsx';
import { useAuthState } from './ui/services.tsx';
import { Loading } from './ui/states.tsx';
import { TopBar } from './ui/TopBar.tsx';

/** A signed-in screen, and the scope it needs. */
function protectedScreen(pathname: string): { screen: ReactNode; scope?: string } | undefined {
  if (pathname === '/timesheets') return { screen: <MyTimesheets />, scope: 'read:timesheets' };
  if (pathname === '/timesheets/new') return { screen: <EntryForm />, scope: 'create:timesheets' };
  const edit = /^\/timesheets\/([\w-]+)\/edit$/.exec(pathname);
  if (edit) return { screen: <EntryForm key={edit[1]} id={edit[1]} />, scope: 'create:timesheets' };
  if (pathname === '/approvals') return { screen: <Approvals />, scope: 'approve:timesheets' };
  if (pathname === '/profile') return { screen: <Profile /> };
  return undefined;
}

function Screen() {
  const state = useAuthState();
  const { pathname } = useLocation();
  if (pathname === '/callback') return <Callback />;
  if (state.status === 'starting') return <Loading label="Signing you in…" />;
  const expired = state.status === 'signed-out' && state.expired;
  if (pathname === '/') return expired ? <SignInRequired expired /> : <Home />;
  const target = protectedScreen(pathname);
  if (!target) return <NotFound />;
  if (state.status !== 'signed-in') return <SignInRequired expired={expired} />;
  if (target.scope && !state.user.scopes.has(target.scope)) return <NotAllowed />;
  return target.screen;
}

/** Signing in failed away from the callback (the provider unreachable when Log in was pressed). */
function SignInProblem() {
  const state = useAuthState();
  const { pathname } = useLocation();
  if (state.status !== 'failed' || pathname === '/callback') return null;
  return (
    <p className="alert alert-error" role="alert">
      Signing in did not work. {explainAuthError(state.error)}
    </p>
  );
}

export function App() {
  const { pathname } = useLocation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar />
      <main id="main" className="main" tabIndex={-1}>
        <SignInProblem />
        <Screen key={pathname} />
      </main>
      <footer className="footer">
        <p>ABC Timesheets · ABC Inc.</p>
      </footer>
    </>
  );
}
