// The security headers, defined once for every kind of response: all of Fastify's (a hook in
// server.ts), the embedded provider's raw responses (which bypass Fastify's hooks), and the HTML
// pages, the web app's and the provider's own.
import { CSP_REPORT_PATH } from './csp-reports.ts';

const NOSNIFF = { 'x-content-type-options': 'nosniff' } as const;
const HSTS = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } as const;

/** Every response: no content sniffing, and HTTPS only from now on when served over HTTPS. */
export function baselineHeaders(https: boolean): Readonly<Record<string, string>> {
  return https ? { ...NOSNIFF, ...HSTS } : NOSNIFF;
}

/**
 * An HTML page: its Content-Security-Policy (`directives` plus who may frame it, no <base>, and
 * Trusted Types: no string ever reaches an HTML or script sink), never framed by others, never
 * cached, no referrer, a browsing context of its own, and no camera, microphone, location or payment.
 */
export function htmlPageHeaders(directives: readonly string[], frameAncestors: "'none'" | "'self'"): Record<string, string> {
  return {
    'content-security-policy': [
      ...directives,
      `frame-ancestors ${frameAncestors}`,
      "base-uri 'none'",
      "require-trusted-types-for 'script'",
      // Violations are reported (csp-reports.ts): report-to, and report-uri for browsers without it.
      'report-to csp-endpoint',
      `report-uri ${CSP_REPORT_PATH}`,
    ].join('; '),
    'reporting-endpoints': `csp-endpoint="${CSP_REPORT_PATH}"`,
    ...htmlPageHeadersButCsp(frameAncestors),
  };
}

/** The same, for a page that brings its own Content-Security-Policy (Swagger UI's, see api/plugin.ts). */
export function htmlPageHeadersButCsp(frameAncestors: "'none'" | "'self'"): Record<string, string> {
  return {
    'x-frame-options': frameAncestors === "'self'" ? 'SAMEORIGIN' : 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'cache-control': 'no-store',
    ...NOSNIFF,
  };
}
