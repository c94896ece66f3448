import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DroverError } from '../errors.js';

export interface HttpReply {
  statusCode: number;
  contentType: string;
  body: string;
}

export type Routes = Record<string, () => HttpReply | Promise<HttpReply>>;

export interface HttpServer {
  /** e.g. http://127.0.0.1:9464 (the port the OS chose when asked for 0). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, reply: HttpReply, head: boolean): void {
  res.writeHead(reply.statusCode, { 'content-type': reply.contentType, 'cache-control': 'no-store' });
  res.end(head ? undefined : reply.body);
}

/** A tiny GET-only HTTP server: exact paths, JSON 404/405, a 500 naming the error. */
export async function startHttpServer(host: string, port: number, routes: Routes): Promise<HttpServer> {
  const json = (statusCode: number, value: unknown): HttpReply => ({ statusCode, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` });
  const server = createServer((req, res) => {
    // Routes are exact paths: no URL parsing (a malformed request target must not throw here).
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    const head = req.method === 'HEAD';
    if (!route) return send(res, json(404, { error: `no such endpoint: ${path}`, endpoints: Object.keys(routes) }), head);
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, json(405, { error: `method ${req.method} not allowed` }), false);
    }
    Promise.resolve()
      .then(route)
      .then(
        (reply) => send(res, reply, head),
        (error: unknown) => send(res, json(500, { error: (error as Error).message }), head),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new DroverError('INVALID_OPTION', `cannot serve metrics on ${host}:${port}: ${error.code ?? error.message}`, { cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a scraper's keep-alive connection must not hold the exit
      }),
  };
}
