// A tiny router on the History API: the app has a handful of routes and no need for more.
import { useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const currentPath = () => window.location.pathname + window.location.search;
let navigated = false;

/** True once the app has moved between screens (then a new screen takes the focus). */
export function navigatedInApp(): boolean {
  return navigated;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentPath()) return;
  navigated = true;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

/** Where the app is; `here` (path and query) is what signing in returns to. */
export function useLocation(): { pathname: string; query: URLSearchParams; here: string } {
  const path = useSyncExternalStore(subscribe, currentPath);
  return useMemo(() => {
    const url = new URL(path, window.location.origin);
    return { pathname: url.pathname, query: url.searchParams, here: url.search ? path : url.pathname };
  }, [path]);
}

/** Only a path of this app, never another origin or the callback, is a place to return to. */
export function safeReturnPath(path: string | null | undefined): string {
  if (!path || !path.startsWith('/') || path.startsWith('//') || path.startsWith('/callback')) return '/';
  return path;
}

export function Link({ to, onClick, ...props }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    // Let the browser handle new tabs and windows (modifier keys, middle button).
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...props} />;
}
