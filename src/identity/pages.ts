// The provider's own pages (sign-in, sign-out, errors): server-rendered, no JavaScript needed,
// styled by the same theme.css as the web app.
import { htmlPageHeaders } from '../security-headers.ts';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const APP_NAME = 'ABC Timesheets';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · ${APP_NAME}</title>
<link rel="stylesheet" href="/theme.css">
</head>
<body class="auth-page">
<main class="auth-card" aria-labelledby="page-title">
<p class="brand"><span class="brand-mark" aria-hidden="true">◷</span> ${APP_NAME}</p>
${body}
</main>
</body>
</html>`;
}

export interface SignInPageInput {
  readonly action: string;
  readonly cancelUrl: string;
  readonly email?: string;
  readonly error?: string;
  readonly clientName?: string;
  readonly demo: boolean;
}

export function signInPage(input: SignInPageInput): string {
  const error = input.error
    ? `<p class="alert alert-error" role="alert" id="sign-in-error">${escapeHtml(input.error)}</p>`
    : '';
  const described = input.error ? ' aria-describedby="sign-in-error"' : '';
  const demo = input.demo
    ? `<details class="demo-hint"><summary>Demo accounts</summary><p>Password <code>demo-password</code> for
<code>ellen@abc-inc.example</code> (employee), <code>carl@abc-inc.example</code> (contractor),
<code>maria@abc-inc.example</code> (manager), <code>adam@abc-inc.example</code> (admin).</p></details>`
    : '';
  return layout(
    'Sign in',
    `<h1 id="page-title">Sign in</h1>
<p class="muted">to continue to ${escapeHtml(input.clientName ?? APP_NAME)}</p>
${error}
<form method="post" action="${escapeHtml(input.action)}" class="stack" novalidate>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${escapeHtml(input.email ?? '')}"${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<button type="submit" class="button button-primary">Sign in</button>
</form>
<p class="auth-footer"><a href="${escapeHtml(input.cancelUrl)}">Cancel</a></p>
${demo}`,
  );
}

/** `form` is the provider's own hidden form (it carries the anti-forgery token). */
export function signOutPage(form: string): string {
  return layout(
    'Sign out',
    `<h1 id="page-title">Sign out</h1>
<p>Sign out of ${APP_NAME} on this device?</p>
${form}
<div class="stack">
<button type="submit" form="op.logoutForm" name="logout" value="yes" class="button button-primary" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm" class="button">Stay signed in</button>
</div>`,
  );
}

export function signedOutPage(): string {
  return layout(
    'Signed out',
    `<h1 id="page-title">You are signed out</h1>
<p>You have been signed out of ${APP_NAME}.</p>
<p><a class="button button-primary" href="/">Go to ${APP_NAME}</a></p>`,
  );
}

export function errorPage(title: string, detail: string): string {
  return layout(
    title,
    `<h1 id="page-title">${escapeHtml(title)}</h1>
<p class="alert alert-error" role="alert">${escapeHtml(detail)}</p>
<p><a class="button" href="/">Back to ${APP_NAME}</a></p>`,
  );
}

/** Headers for every provider page: not frameable, not cached, no inline code, nothing third-party. */
export function pageSecurityHeaders(formTargets: readonly string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(' ');
  return htmlPageHeaders(["default-src 'none'", "style-src 'self'", "img-src 'self'", `form-action ${formAction}`], "'none'");
}
