// Where browsers report what our Content-Security-Policy blocked (the `report-to` and `report-uri`
// directives of every HTML page, security-headers.ts): each report becomes one warning in the log,
// stripped of query strings and fragments (a URL may carry a code or a token), so an attack or a
// broken page shows up there. No authentication: browsers send these on their own.
import type { FastifyInstance } from 'fastify';
import { RateWindow } from './rate-window.ts';

export const CSP_REPORT_PATH = '/csp-reports';
/** Per address and minute; a page that breaks repeats its reports. */
const REPORTS_PER_MINUTE = 60;
const REPORT_TYPES = ['application/reports+json', 'application/csp-report'];

interface Violation {
  readonly directive: string;
  readonly blocked: string;
  readonly page: string;
}

export async function cspReportRoutes(app: FastifyInstance): Promise<void> {
  const perAddress = new RateWindow(REPORTS_PER_MINUTE, 60_000);
  app.addContentTypeParser(REPORT_TYPES, { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('The report is not JSON.'), { statusCode: 400 }));
    }
  });
  app.post(CSP_REPORT_PATH, async (request, reply) => {
    if (!REPORT_TYPES.includes(String(request.headers['content-type']).split(';')[0]!.trim())) {
      return reply.code(415).send();
    }
    if (perAddress.hit(request.ip) === 0) {
      for (const violation of violationsIn(request.body)) request.log.warn({ cspViolation: violation }, 'content security policy violation');
    }
    return reply.code(204).send();
  });
}

/** The Reporting API's batch (`application/reports+json`) or the older single `csp-report`. */
function violationsIn(body: unknown): Violation[] {
  const reports = Array.isArray(body)
    ? body.filter((r) => r?.type === 'csp-violation').map((r) => r.body as Record<string, unknown>)
    : [(body as { 'csp-report'?: Record<string, unknown> })?.['csp-report']];
  return reports
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    .slice(0, 10)
    .map((r) => ({
      directive: text(r.effectiveDirective ?? r['effective-directive'] ?? r['violated-directive']),
      blocked: withoutQuery(r.blockedURL ?? r['blocked-uri']),
      page: withoutQuery(r.documentURL ?? r['document-uri']),
    }));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 100) : '';
}

/** A URL without its query and fragment ("inline", "eval" and the like pass as they are). */
function withoutQuery(value: unknown): string {
  const url = text(value);
  return url.replace(/[?#].*$/, '');
}
