// The shell: top bar, the screen for the current route, and the gates in front of it (signing
// in, session ended, scope missing).
import type { ReactNode } from 'react';
import type { ApiScope } from '../../domain/access.ts';
import { matchRoute, type AppRoute } from '../routes.ts';
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

/** The signed-in screens, one for each of the app's routes but home, and the scope each needs. */
const PROTECTED_SCREENS: Record<Exclude<AppRoute, '/'>, { screen: (params: Record<string, string>) => ReactNode; scope?: ApiScope }> = {
  '/timesheets': { screen: () => <MyTimesheets />, scope: 'read:timesheets' },
  '/timesheets/new': { screen: () => <EntryForm />, scope: 'create:timesheets' },
  '/timesheets/:id/edit': { screen: ({ id }) => <EntryForm key={id} id={id} />, scope: 'create:timesheets' },
  '/approvals': { screen: () => <Approvals />, scope: 'approve:timesheets' },
  '/profile': { screen: () => <Profile /> },
};

/** A signed-in screen, and the scope it needs. */
function protectedScreen(pathname: string): { screen: ReactNode; scope?: string } | undefined {
  const match = matchRoute(pathname);
  if (!match || match.route === '/') return undefined;
  const { screen, scope } = PROTECTED_SCREENS[match.route];
  return { screen: screen(match.params), scope };
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
