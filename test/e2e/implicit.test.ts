// The web app with the guide's Implicit flow (AUTH_FLOW=implicit), hardened, in Chromium.
import { describeWebApp } from './support/scenario.ts';

describeWebApp('implicit');
