// What every screen needs: the auth client, the API, and the auth state.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { TimesheetsApi } from '../api/timesheets.ts';
import type { AuthClient, AuthState } from '../auth/client.ts';

export interface Services {
  readonly auth: AuthClient;
  readonly api: TimesheetsApi;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext value={services}>{children}</ServicesContext>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesProvider');
  return services;
}

export function useAuthState(): AuthState {
  const { auth } = useServices();
  return useSyncExternalStore(auth.subscribe, auth.getState);
}

/** The signed-in user's scopes (empty when signed out). */
export function useScopes(): ReadonlySet<string> {
  const state = useAuthState();
  return state.status === 'signed-in' ? state.user.scopes : new Set();
}
