// The entry point, kept tiny: in the silent-renewal frame it only relays the authorization
// response to the parent page; everything else (React, the screens) loads only at top level.
import '../theme.css';
import { SIGNED_OUT_STATE } from '../routes.ts';
import { relayToParent } from './auth/silent-frame.ts';

const atCallback = window.location.pathname === '/callback';

if (atCallback && window.parent !== window) {
  relayToParent();
} else {
  let callback: URL | undefined;
  if (atCallback) {
    // The code or the tokens leave the address bar and the history before anything else runs.
    callback = new URL(window.location.href);
    window.history.replaceState(null, '', '/callback');
  } else if (new URLSearchParams(window.location.search).get('state') === SIGNED_OUT_STATE) {
    // Back from logging out (the server cleared the site's data): the marker leaves the address bar.
    window.history.replaceState(null, '', window.location.pathname);
  }
  const root = document.getElementById('root')!;
  void import('./start.tsx').then(({ start }) => start(root, callback));
}
