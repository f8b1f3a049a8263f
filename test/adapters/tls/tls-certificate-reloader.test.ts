// Goal: a renewed certificate goes into service without a restart, and a broken renewal never takes
// the port down. Method: a real TLS server with throwaway certificates (openssl at test time); the
// files are overwritten and the next handshake's certificate is compared by fingerprint, through the
// file watch and through reload() (what SIGHUP calls); a mismatched key keeps the old certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { TlsCertificateReloader } from '../../../src/adapters/tls/tls-certificate-reloader.ts';
import { readServerTlsOptions } from '../../../src/adapters/tls/read-tls-material.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { recordingLogger } from '../channels/fake-host.ts';
import { issueTestCertificate, makeTestCa, pem, type CertificateFiles } from '../../support/test-certificates.ts';

let dir = '';
let ca: CertificateFiles;
let files: CertificateFiles;
let server: Server;
let port = 0;

function fingerprintOf(file: string): string {
  return new X509Certificate(pem(file)).fingerprint256;
}

/** The fingerprint of the certificate a new connection is served. */
function servedFingerprint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: pem(ca.certFile) }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

/** Overwrites the served files with a new certificate and key; returns the new fingerprint. */
function renew(name: string): string {
  const fresh = issueTestCertificate(ca, dir, name, 'server');
  copyFileSync(fresh.certFile, files.certFile);
  copyFileSync(fresh.keyFile, files.keyFile);
  return fingerprintOf(files.certFile);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-tls-reload-'));
  ca = makeTestCa(dir, 'ca');
  files = issueTestCertificate(ca, dir, 'served', 'server');
  server = createServer(readServerTlsOptions(files, 'http.tls'), (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('reload() (SIGHUP) serves the renewed certificate to new connections', async () => {
  const reloader = new TlsCertificateReloader({ field: 'http.tls', files, target: server, logger: recordingLogger(), checkIntervalMs: 0 });
  const renewed = renew('renewed-by-signal');
  assert.notEqual(await servedFingerprint(), renewed, 'not before the reload');
  assert.equal(reloader.reload('signal'), true);
  assert.equal(await servedFingerprint(), renewed);
});

test('the file watch serves the renewed certificate without a signal', async (t) => {
  const reloader = new TlsCertificateReloader({ field: 'http.tls', files, target: server, logger: recordingLogger(), checkIntervalMs: 50 });
  reloader.start();
  t.after(() => reloader.stop());
  const renewed = renew('renewed-by-watch');
  let served = await servedFingerprint();
  for (let tries = 0; served !== renewed && tries < 100; tries += 1) {
    await delay(50);
    served = await servedFingerprint();
  }
  assert.equal(served, renewed);
});

test('a key that does not match the certificate keeps the certificate in service and logs the code', async () => {
  const logger = recordingLogger();
  const reloader = new TlsCertificateReloader({ field: 'http.tls', files, target: server, logger, checkIntervalMs: 0 });
  assert.equal(reloader.reload('signal'), true);
  const inService = await servedFingerprint();
  const other = issueTestCertificate(ca, dir, 'other', 'server');
  copyFileSync(other.keyFile, files.keyFile);
  assert.equal(reloader.reload('signal'), false);
  assert.equal(await servedFingerprint(), inService);
  const failure = logger.lines.find((line) => line.level === 'error');
  assert.equal((failure?.object as { code?: string }).code, 'RSW_TLS_MATERIAL_INVALID');
});

test('start-up refuses missing files and mismatched keys, naming the key', () => {
  assert.throws(
    () => readServerTlsOptions({ certFile: join(dir, 'absent.pem'), keyFile: files.keyFile }, 'listeners[0].tls'),
    (error: unknown) => isReswipeError(error, 'RSW_TLS_FILE_UNREADABLE') && error.field === 'listeners[0].tls.certFile',
  );
  const other = issueTestCertificate(ca, dir, 'mismatch', 'server');
  assert.throws(
    () => readServerTlsOptions({ certFile: files.certFile, keyFile: other.keyFile }, 'http.tls'),
    (error: unknown) => isReswipeError(error, 'RSW_TLS_MATERIAL_INVALID') && error.field === 'http.tls' && !error.message.includes('PRIVATE KEY'),
  );
});
