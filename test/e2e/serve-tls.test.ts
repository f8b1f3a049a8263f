// Goal: every hop that carries card data can run over TLS between real processes, and a gateway whose
// HTTP API would be reachable in clear refuses to start. Method: throwaway CAs and certificates made
// with openssl at test time; `reswipe issuer-sim` over mutual TLS, `reswipe serve` with a mutual-TLS
// terminal listener, a TLS channel (client certificate) and an HTTPS API; a terminal takes a sale
// end to end, checked against the simulator's ledger; the HTTP certificate is renewed and SIGHUP puts
// it into service; a config binding 0.0.0.0 without TLS exits 2 naming http.tls with nothing opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { encodeFrame, getDialect, getText, packMessage } from '../../src/core/iso8583/index.ts';
import { envWithoutReswipe, runReswipe, startReswipeJson, stopChild } from '../support/reswipe-process.ts';
import { readIssuerLedger } from '../support/issuer-ledger.ts';
import { issueTestCertificate, makeTestCa, pem, type CertificateFiles } from '../support/test-certificates.ts';

const okPan = '6222020000000000018';

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
}

let dir = '';
let sim: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
let adminPort = 0;
let terminalPort = 0;
let httpPort = 0;
let gatewayCa: CertificateFiles;
let terminalCertificate: CertificateFiles;
let stanCounter = 500;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

/** What a terminal holding its certificate passes to connect: it trusts the gateway's CA. */
function terminalTls(): ConnectionOptions {
  return { ca: pem(gatewayCa.certFile), cert: pem(terminalCertificate.certFile), key: pem(terminalCertificate.keyFile) };
}

/** One HTTPS GET trusting the gateway's CA: the status, and the certificate and protocol the server used. */
function httpsGet(path: string): Promise<{ status: number; certificate: PeerCertificate; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest({ host: '127.0.0.1', port: httpPort, path, ca: pem(gatewayCa.certFile), agent: false }, (response) => {
      const socket = response.socket as import('node:tls').TLSSocket;
      const certificate = socket.getPeerCertificate();
      const protocol = socket.getProtocol();
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, certificate, protocol }));
    });
    request.on('error', reject);
    request.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-tls-'));
  // Three trust domains, as in production: the bank's CA, the gateway's CA, the terminals' CA.
  const bankCa = makeTestCa(dir, 'bank-ca');
  gatewayCa = makeTestCa(dir, 'gateway-ca');
  const terminalCa = makeTestCa(dir, 'terminal-ca');
  const bankServer = issueTestCertificate(bankCa, dir, 'bank-host', 'server');
  const gatewayToBank = issueTestCertificate(gatewayCa, dir, 'gateway-to-bank', 'client');
  const listenerCertificate = issueTestCertificate(gatewayCa, dir, 'gateway-pos', 'server');
  const httpCertificate = issueTestCertificate(gatewayCa, dir, 'gateway-api', 'server');
  terminalCertificate = issueTestCertificate(terminalCa, dir, 'terminal-T0000001', 'client');

  const started = await startReswipeJson(
    ['issuer-sim', '--port', '0', '--admin-port', '0', '--json', '--tls-cert', bankServer.certFile, '--tls-key', bankServer.keyFile, '--tls-client-ca', gatewayCa.certFile],
    { cwd: dir },
  );
  sim = started.child;
  assert.equal(started.info.tls, true);
  adminPort = Number(started.info.adminPort);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
    security: { panKey: 'e2e-test-pan-key-0123456789' },
    http: { host: '127.0.0.1', port: 0, tls: { certFile: httpCertificate.certFile, keyFile: httpCertificate.keyFile, reloadCheckIntervalMs: 0 } },
    engine: { terminalTimeoutMs: 9_000 },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en', tls: { ...listenerCertificate, clientCaFile: terminalCa.certFile } }],
    channels: [{ name: 'bank', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 3_000, echoIntervalMs: 0, tls: { caFile: bankCa.certFile, ...gatewayToBank } }],
    merchants: [{ id: 'M00000000000001', name: 'TLS shop', mcc: '5411', terminals: ['T0000001'] }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const served = await startReswipeJson(['serve', '--config', join(dir, 'config.json'), '--json'], { cwd: dir, env: { RESWIPE_DEVELOPMENT_MODE: '1' } });
  gateway = served.child;
  terminalPort = Number((served.info.listeners as Record<string, number>).pos);
  httpPort = Number(served.info.http);
  assert.ok(terminalPort > 0 && httpPort > 0);
});

after(async () => {
  await stopChild(gateway);
  await stopChild(sim);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('a terminal with its certificate signs on and has a sale approved, over TLS to the gateway and over TLS to the bank', async () => {
  // The channel connects in the background after start; a sale before that would be declined, not sent.
  let client: TerminalClient | undefined;
  try {
    client = await TerminalClient.connect(terminalPort, 'iso87-ascii', 'binary2', terminalTls());
    const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '001' } });
    assert.equal(signOn.fields[39], '00');
    let answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_321 }));
    for (let tries = 0; answer.fields[39] !== '00' && tries < 50; tries += 1) {
      await delay(200);
      answer = await client.request(saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_321 }));
    }
    assert.equal(answer.mti, '0210');
    assert.equal(answer.fields[39], '00', 'approved by the bank over the TLS channel');
    const rrn = (getText(answer, 37) ?? '').trim();
    const { entries } = await readIssuerLedger<LedgerEntry>(adminPort);
    assert.equal(entries.filter((entry) => entry.rrn === rrn && entry.kind === 'charge').length, 1, 'charged once at the bank');
  } finally {
    client?.close();
  }
});

test('the terminal emulator (`reswipe terminal --tls-ca --tls-cert --tls-key`) takes a sale over mutual TLS', () => {
  const run = runReswipe(
    ['terminal', '--port', String(terminalPort), '--dialect', 'iso87-ascii', '--terminal-id', 'T0000001', '--merchant-id', 'M00000000000001', '--card', okPan, '--amount', '12.34', '--json',
      '--tls-ca', gatewayCa.certFile, '--tls-cert', terminalCertificate.certFile, '--tls-key', terminalCertificate.keyFile],
    { cwd: dir, env: envWithoutReswipe({ RESWIPE_DEVELOPMENT_MODE: '1' }), timeoutMs: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /"responseCode":\s*"00"/, run.stdout);
});

test('a terminal without a client certificate gets no answer: mutual TLS refuses it', async () => {
  await assert.rejects(async () => {
    const client = await TerminalClient.connect(terminalPort, 'iso87-ascii', 'binary2', { ca: pem(gatewayCa.certFile) });
    try {
      // With TLS 1.3 the client may finish its side of the handshake before the server refuses; the request then fails.
      await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '001' } }, 5_000);
    } finally {
      client.close();
    }
  });
});

test('a plain TCP terminal gets no ISO 8583 answer from a TLS listener', async () => {
  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connectTcp({ host: '127.0.0.1', port: terminalPort }, () => {
      const signOn = packMessage(getDialect('iso87-ascii'), { mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: 'T0000001', 70: '001' } });
      socket.write(encodeFrame('binary2', signOn));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('the listener kept a plain TCP connection open')), 15_000).unref();
  });
  assert.ok(!received.toString('latin1').includes('0810'), 'no sign-on answer in clear');
});

test('the HTTP API answers over HTTPS with TLS 1.2 or newer and refuses TLS 1.1', async () => {
  const health = await httpsGet('/healthz');
  assert.equal(health.status, 200);
  assert.ok(health.protocol === 'TLSv1.2' || health.protocol === 'TLSv1.3', `protocol ${String(health.protocol)}`);
  // The client is made willing to speak TLS 1.1 (security level 0), so only the server's minimum can refuse it: a protocol version alert.
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const options = { host: '127.0.0.1', port: httpPort, ca: pem(gatewayCa.certFile), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
      const socket = connectTls(options, () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    }),
    (error: NodeJS.ErrnoException) => error.code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  );
});

test('a renewed HTTP certificate is served after SIGHUP, without a restart', async () => {
  const before = await httpsGet('/healthz');
  // The renewal overwrites the configured files in place, as certificate tools do.
  const renewed = issueTestCertificate(gatewayCa, dir, 'gateway-api', 'server');
  const renewedFingerprint = new X509Certificate(pem(renewed.certFile)).fingerprint256;
  assert.notEqual(before.certificate.fingerprint256, renewedFingerprint);
  gateway?.kill('SIGHUP');
  let served = before;
  for (let tries = 0; served.certificate.fingerprint256 !== renewedFingerprint && tries < 100; tries += 1) {
    await delay(100);
    served = await httpsGet('/healthz');
  }
  assert.equal(served.certificate.fingerprint256, renewedFingerprint, 'the new certificate is in service');
  assert.equal(served.status, 200);
  assert.equal(gateway?.exitCode, null, 'SIGHUP did not stop the gateway');
});

test('serve refuses to bind the HTTP API to 0.0.0.0 without TLS: exit 2 naming http.tls, nothing opened', () => {
  const database = join(dir, 'refused.db');
  writeFileSync(join(dir, 'exposed.json'), JSON.stringify({ database: { url: `sqlite:${database}` }, http: { host: '0.0.0.0', port: 0 }, listeners: [] }));
  const run = runReswipe(['serve', '--config', join(dir, 'exposed.json'), '--json'], { cwd: dir, env: envWithoutReswipe({ RESWIPE_DEVELOPMENT_MODE: '1' }), timeoutMs: 30_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /RSW_CONFIG_HTTP_TLS_REQUIRED/);
  assert.match(run.stderr, /field http\.tls/);
  assert.equal(run.stdout, '', 'it never said it listens');
  assert.equal(existsSync(database), false, 'the database was never opened');
});
