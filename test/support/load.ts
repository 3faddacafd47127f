// Many requests at once over a bounded pool of keep-alive sockets (10,000 sockets at once would
// measure the operating system, not the server).
import http from 'node:http';

export interface LoadResponse {
  readonly status: number;
  readonly body: string;
}

export function pooledClient(baseUrl: string, sockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const request = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<LoadResponse>((resolve, reject) => {
      const req = http.request(`${baseUrl}${path}`, { method, headers, agent }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}
