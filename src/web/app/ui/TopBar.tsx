// The brand, the navigation (what the granted scopes allow) and the signed-in user.
import type { ReactNode } from 'react';
import { Link, useLocation } from './router.tsx';
import { useAuthState, useServices } from './services.tsx';

function NavLink({ to, current, children }: { to: string; current: boolean; children: ReactNode }) {
  return (
    <Link to={to} className="topnav-link" aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function initials(name: string): string {
  const parts = name.split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

export function TopBar() {
  const state = useAuthState();
  const { auth } = useServices();
  const { pathname } = useLocation();
  const user = state.status === 'signed-in' ? state.user : undefined;

  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to="/" className="brand topbar-brand">
          <span className="brand-mark" aria-hidden="true">
            ◷
          </span>
          ABC Timesheets
        </Link>
        {user && (
          <>
            <nav className="topnav" aria-label="Main">
              <NavLink to="/timesheets" current={pathname.startsWith('/timesheets')}>
                My Timesheets
              </NavLink>
              {user.scopes.has('approve:timesheets') && (
                <NavLink to="/approvals" current={pathname === '/approvals'}>
                  Approve Timesheets
                </NavLink>
              )}
              <NavLink to="/profile" current={pathname === '/profile'}>
                Profile
              </NavLink>
            </nav>
            <div className="topbar-user">
              <span className="avatar" aria-hidden="true">
                {initials(user.name)}
              </span>
              <span className="topbar-name">{user.name}</span>
              <button type="button" className="button button-quiet" onClick={() => void auth.logout()}>
                Log out
              </button>
            </div>
          </>
        )}
      </div>
    </header>
  );
}
