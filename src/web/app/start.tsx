// Starts the app: settings from the server, the auth client for the configured flow, the API
// client, then either completes a sign-in (on /callback) or restores the session silently.
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/http.ts';
import { timesheetsApi } from './api/timesheets.ts';
import { createAuthClient } from './auth/client.ts';
import { loadRuntimeConfig } from './auth/config.ts';
import { App } from './App.tsx';
import { navigate, safeReturnPath } from './ui/router.tsx';
import { ServicesProvider } from './ui/services.tsx';
import { ErrorState } from './ui/states.tsx';

export async function start(element: HTMLElement, callback: URL | undefined): Promise<void> {
  const root = createRoot(element);
  let config;
  try {
    config = await loadRuntimeConfig();
  } catch (error) {
    root.render(
      <main className="main">
        <ErrorState title="ABC Timesheets could not start." error={error as Error} onRetry={() => window.location.reload()} />
      </main>,
    );
    return;
  }
  const auth = createAuthClient(config);
  const api = timesheetsApi(createApiClient(config.apiBaseUrl, auth));
  root.render(
    <ServicesProvider services={{ auth, api }}>
      <App />
    </ServicesProvider>,
  );
  if (callback) {
    const next = await auth.handleCallback(callback);
    if (next !== null) navigate(safeReturnPath(next), { replace: true });
  } else {
    await auth.restore();
  }
}
