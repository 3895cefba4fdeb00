/**
 * `GET /metrics` for Prometheus while a run runs (`sparq run --metrics-port P`), on 127.0.0.1
 * unless `metrics.host` says otherwise: the metrics say what a run is doing, not who may see it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../util/errors.js';
import { CONTENT_TYPE } from './exposition.js';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  host: string,
  port: number,
  render: () => string,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('sparq serves GET /metrics\n');
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(
              `metrics.port ${port} on ${host} is already in use: pick another with --metrics-port`,
            )
          : new UserError(`cannot serve metrics on ${host}:${port}: ${err.code ?? err.message}`),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
