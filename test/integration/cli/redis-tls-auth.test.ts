import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { PYTHON, fixture } from '../../helpers/handlers.js';
import { freePort } from '../../helpers/os.js';
import { startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

const haveTools = [['openssl', 'version'], ['redis-server', '--version']].every(([bin, arg]) => spawnSync(bin!, [arg!], { stdio: 'ignore' }).status === 0);

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.on('connect', () => (sock.destroy(), resolve(true)));
    sock.on('error', () => resolve(false));
  });
}

/** A private CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=drover-test-ca');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
}

describe.skipIf(!haveTools)('rediss:// with AUTH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-tls-'));
  let server: ChildProcess;
  let port: number;
  const ca = { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') };

  beforeAll(async () => {
    makeCertificates(dir);
    port = await freePort();
    server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no', '--requirepass', 's3cret', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await accepts(port)); i += 1) await new Promise((r) => setTimeout(r, 50));
  }, 30_000);
  afterAll(async () => {
    await stopAllSupervisors();
    server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves and enqueues over TLS with a password (a private CA trusted through NODE_EXTRA_CA_CERTS)', async () => {
    const url = `rediss://:s3cret@127.0.0.1:${port}`;
    const sup = startSupervisor('tls:', ['-q', 'work'], [PYTHON, fixture('echo.py')], ca, url);
    await whenReady(sup);
    const run = await runCli(['enqueue', 'work', '{"secure":true}', '--wait', '--timeout', '10s', '--redis', url, '--prefix', 'tls:'], { env: ca });
    expect(run.exitCode).toBe(0);
    expect(run.lines[0]).toMatchObject({ state: 'completed', result: { echo: { secure: true } } });
    expect(await sup.stop()).toBe(0);
  });

  it('says the credentials were refused, with exit 6', async () => {
    const run = await runCli(['stats', '--redis', `rediss://:wrong@127.0.0.1:${port}`], { env: ca });
    expect(run.exitCode).toBe(6);
    expect(run.stderr).toContain('Redis refused the credentials (WRONGPASS');
  });

  it('names the TLS failure when the server certificate is not trusted', async () => {
    const run = await runCli(['stats', '--redis', `rediss://:s3cret@127.0.0.1:${port}`]);
    expect(run.exitCode).toBe(6);
    expect(run.stderr).toMatch(/last connection error: .*certificate/);
  });
});
