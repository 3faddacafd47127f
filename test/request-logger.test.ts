// The per-request logger builds pino's child only when the request logs at an enabled level.
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { loggerOptions, requestLoggerFactory } from '../src/logging.ts';

function serverLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const options = loggerOptions(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
  if (!options || options === true) throw new Error('expected logger options');
  const logger = pino(options as pino.LoggerOptions, (options as { stream: pino.DestinationStream }).stream);
  return { logger, lines };
}

describe('request logger', () => {
  it('makes no child for a request that logs nothing it keeps, and the same lines as a child for one that does', () => {
    const { logger, lines } = serverLogger('warn');
    const child = vi.spyOn(logger, 'child');
    const quiet = requestLoggerFactory.call(null as never, logger, { reqId: 'req-1' }, {}, null as never);
    quiet.info({ route: '/api/timesheets' }, 'request completed');
    quiet.debug('nothing');
    expect(child).not.toHaveBeenCalled();
    expect(quiet.level).toBe('warn');

    const noisy = requestLoggerFactory.call(null as never, logger, { reqId: 'req-2' }, {}, null as never);
    noisy.warn({ body: { password: 'hunter2' }, route: '/x' }, 'odd');
    noisy.error('worse');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map(({ time: _time, pid: _pid, hostname: _host, ...rest }) => rest)).toEqual([
      { level: 40, reqId: 'req-2', body: { password: '[redacted]' }, route: '/x', msg: 'odd' },
      { level: 50, reqId: 'req-2', msg: 'worse' },
    ]);
  });

  it('hands a route’s own level to a real child at once', () => {
    const { logger, lines } = serverLogger('warn');
    const routeLogger = requestLoggerFactory.call(null as never, logger, { reqId: 'req-3' }, { level: 'debug' }, null as never);
    routeLogger.debug('kept');
    expect(lines).toMatchObject([{ level: 20, reqId: 'req-3', msg: 'kept' }]);
  });
});
