// A small round-robin load balancer in front of several instances, as a deployment would have.
// A request may name its backend with `x-backend: <index>`; the log says who served what.
import http from 'node:http';

export interface Served {
  readonly backend: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export async function startBalancer(port: number, backends: readonly number[]) {
  const log: Served[] = [];
  let next = 0;
  const server = http.createServer((request, response) => {
    const pinned = request.headers['x-backend'];
    const backend = pinned !== undefined ? Number(pinned) : next++ % backends.length;
    const upstream = http.request(
      { host: '127.0.0.1', port: backends[backend], method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        log.push({ backend, method: request.method ?? '', path: (request.url ?? '').split('?')[0]!, status: answer.statusCode ?? 0 });
        response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      response.writeHead(502).end();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
