// The web app with Authorization Code + PKCE (the default, AUTH_FLOW=pkce), in Chromium.
import { describeWebApp } from './support/scenario.ts';

describeWebApp('pkce');
