// Errors that mean "the database is away right now" (PostgreSQL down or unreachable, SQLite busy):
// callers answer 503 and try again later, rather than 500.
const DATABASE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001', '08003']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && DATABASE_DOWN.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|database is locked|the database system is/.test(message);
}
