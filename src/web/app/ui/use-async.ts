// Loads data for a screen: loading, ready or error, with a reload for "Try again" and for
// refreshing after a change (the old data stays visible meanwhile). `key` names what is loaded:
// when it changes the screen shows loading, and a result for an older key is dropped.
import { useCallback, useEffect, useState } from 'react';

export type AsyncState<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly data: T }
  | { readonly status: 'error'; readonly error: Error };

const LOADING = { status: 'loading' } as const;

export function useAsync<T>(load: () => Promise<T>, key: string): AsyncState<T> & { reload: () => void } {
  const [held, setHeld] = useState<{ key: string; state: AsyncState<T> }>({ key, state: LOADING });
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setHeld({ key, state: { status: 'ready', data } }),
      (error: unknown) =>
        current && setHeld({ key, state: { status: 'error', error: error instanceof Error ? error : new Error(String(error)) } }),
    );
    return () => {
      current = false;
    };
    // The effect runs for a new key or a reload; `load` is the closure of the render that asked.
  }, [key, version]);

  const reload = useCallback(() => {
    setHeld((previous) => (previous.state.status === 'error' ? { key: previous.key, state: LOADING } : previous));
    setVersion((v) => v + 1);
  }, []);
  return { ...(held.key === key ? held.state : LOADING), reload };
}
