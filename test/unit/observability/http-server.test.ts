import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../../src/observability/http-server.js';

describe('the metrics HTTP server', () => {
  it('answers a malformed request target without dying, and keeps serving', async () => {
    const server = await startHttpServer('127.0.0.1', 0, { '/healthz': () => ({ statusCode: 200, contentType: 'text/plain', body: 'ok' }) });
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        let data = '';
        socket.on('data', (d) => (data += String(d)));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 404/);
      const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    } finally {
      await server.close();
    }
  });
});
