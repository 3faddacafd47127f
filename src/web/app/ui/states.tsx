// Loading, empty and error states, the same on every screen.
import type { ReactNode } from 'react';
import { ApiError } from '../api/http.ts';

export function Loading({ label }: { label: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

export function ErrorState({ title, error, onRetry }: { title: string; error: Error; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p>{describeError(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** What went wrong, in words for people (the API's detail when it gives one). */
export function describeError(error: Error): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return "You don't have permission to do this.";
    if (error.status >= 500) return 'The server had a problem. Please try again in a moment.';
  }
  return error.message;
}
