// The ceiling: a bare Fastify route answering a fixed JSON body of a given size.
// Usage: node bench/baseline.ts PORT BODY_BYTES
import Fastify from 'fastify';

const [port, size] = process.argv.slice(2).map(Number) as [number, number];
const body = JSON.stringify({ items: [], padding: 'x'.repeat(Math.max(0, size - 26)) });
const app = Fastify({ logger: false });
app.get('/baseline', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('ready\n');
