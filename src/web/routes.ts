// The app's own paths, one list for both sides: the server answers each with index.html
// (plugin.ts), the router in the page picks the screen (app/App.tsx). Plain TypeScript, no Node
// imports: the page's bundle includes it.

export const APP_ROUTES = ['/', '/timesheets', '/timesheets/new', '/timesheets/:id/edit', '/approvals', '/profile'] as const;
export type AppRoute = (typeof APP_ROUTES)[number];

const PATTERNS = APP_ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.replace(/:(\w+)/g, '(?<$1>[\\w-]+)')}$`),
}));

/** The route a path is, with its `:name` parts; undefined for a path the app does not have. */
export function matchRoute(pathname: string): { route: AppRoute; params: Record<string, string> } | undefined {
  for (const { route, pattern } of PATTERNS) {
    const match = pattern.exec(pathname);
    if (match) return { route, params: { ...match.groups } };
  }
  return undefined;
}

/**
 * The `state` the app sends with its logout; the provider hands it back on the home page it returns
 * to, which then clears what this origin keeps in the browser (Clear-Site-Data).
 */
export const SIGNED_OUT_STATE = 'signed-out';
