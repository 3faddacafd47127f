// Silent authentication (prompt=none) in a hidden iframe, for restoring a session after a reload
// or in a new tab, and for renewing the Implicit flow's tokens.
//
// Why an iframe rather than a top-level prompt=none redirect: the page keeps its state (the form
// being typed, the scroll position) while tokens are renewed, and a failure costs nothing visible.
// It works because the embedded provider shares our origin, so its session cookie is first-party
// in the frame; with an external provider on another site a browser blocking third-party cookies
// answers login_required, and the app simply shows "Log in" (signing in then is one click away
// when the provider session still exists).
//
// The only registered redirect URI is $PUBLIC_URL/callback, so the frame lands on that page. Run
// inside a frame, the page hands its URL (the code or the fragment) to its parent, addressed to
// our own origin only, and renders nothing. The server lets only our own origin frame /callback.
import { AuthError } from './errors.ts';

const MESSAGE_TYPE = 'abc-timesheets:authorization-response';
const FRAME_TIMEOUT_MS = 10_000;

interface RelayMessage {
  readonly type: typeof MESSAGE_TYPE;
  readonly url: string;
}

function isRelayMessage(data: unknown): data is RelayMessage {
  const message = data as RelayMessage | null;
  return typeof message === 'object' && message !== null && message.type === MESSAGE_TYPE && typeof message.url === 'string';
}

/** In the frame: hand the authorization response to the parent page of our own origin. */
export function relayToParent(): void {
  const message: RelayMessage = { type: MESSAGE_TYPE, url: window.location.href };
  window.parent.postMessage(message, window.location.origin);
}

/** Loads `authorizationUrl` (with prompt=none) in a hidden frame; resolves with the response URL. */
export function authorizeInFrame(authorizationUrl: URL, timeoutMs = FRAME_TIMEOUT_MS): Promise<URL> {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.title = 'Session renewal';
    frame.tabIndex = -1;
    frame.setAttribute('aria-hidden', 'true');

    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      frame.remove();
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new AuthError('timeout', 'The sign-in service did not answer in time.'))),
      timeoutMs,
    );
    function onMessage(event: MessageEvent) {
      // Only our own /callback page, in the frame we created, may answer.
      if (event.origin !== window.location.origin || event.source !== frame.contentWindow) return;
      if (!isRelayMessage(event.data)) return;
      const url = new URL(event.data.url);
      finish(() => resolve(url));
    }

    window.addEventListener('message', onMessage);
    frame.src = authorizationUrl.href;
    document.body.append(frame);
  });
}
