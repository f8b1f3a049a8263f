// Goal: an upstream channel over TLS talks only to a bank it can verify, and presents its client
// certificate when the bank demands one. Method: the issuer simulator in this process with a
// throwaway certificate chain (openssl at test time) and mutual TLS; real UpstreamChannels with the
// right CA, another CA, and a server name the certificate does not carry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { UpstreamChannel, type ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import { readClientTlsOptions, readServerTlsOptions } from '../../../src/adapters/tls/read-tls-material.ts';
import { createLogger } from '../../../src/adapters/log/logger.ts';
import { startIssuerServer, issuerServerDefaults, type RunningIssuerServer } from '../../../src/sim/issuer/issuer-server.ts';
import { noFaults } from '../../../src/sim/issuer/fault-plan.ts';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { buildUpstreamSale } from '../../../src/core/payments/upstream-request.ts';
import { CardNumber } from '../../../src/core/cards/pan.ts';
import { recordingLogger, waitFor } from './fake-host.ts';
import { issueTestCertificate, makeTestCa, pem, type CertificateFiles } from '../../support/test-certificates.ts';

let dir = '';
let sim: RunningIssuerServer;
let bankCa: CertificateFiles;
let otherCa: CertificateFiles;
let clientCertificate: CertificateFiles;
let gatewayCa: CertificateFiles;
let bankHost: CertificateFiles;
let stan = 0;

function sale(): IsoMessage {
  stan += 1;
  return buildUpstreamSale({
    amountMinor: 1_000,
    currency: 'CNY',
    card: { number: new CardNumber('6222020000000000018'), expiry: '3012', entryMode: 'chip' },
    merchant: { id: '898310048160001', name: 'Test shop', mcc: '5411' },
    upstreamTerminalId: 'T0000001',
    acquirerId: '48020000',
    stan: String(stan).padStart(6, '0'),
    nowMs: Date.UTC(2026, 11, 5, 10, 0, 0),
  });
}

function kindOf(result: ChannelSendResult): string {
  return result.kind === 'reply' ? `reply/${getText(result.message, 39) ?? '--'}` : `${result.kind}/${result.reason}`;
}

function channelTo(tls: Parameters<typeof readClientTlsOptions>[0], logger = recordingLogger()): UpstreamChannel {
  return new UpstreamChannel({
    name: 'bank',
    host: '127.0.0.1',
    port: sim.isoPort,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections: 1,
    inFlightMax: 16,
    echoIntervalMs: 0,
    acquirerId: '48020000',
    reconnectBackoffMs: 20,
    reconnectBackoffMsMax: 100,
    connectTimeoutMs: 2_000,
    logger,
    tls: readClientTlsOptions(tls, 'channels[0].tls'),
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-channel-tls-'));
  bankCa = makeTestCa(dir, 'bank-ca');
  otherCa = makeTestCa(dir, 'other-ca');
  gatewayCa = makeTestCa(dir, 'gateway-ca');
  bankHost = issueTestCertificate(bankCa, dir, 'bank-host', 'server');
  clientCertificate = issueTestCertificate(gatewayCa, dir, 'gateway-client', 'client');
  sim = await startIssuerServer({
    ...issuerServerDefaults,
    port: 0,
    adminPort: 0,
    seed: 1,
    faults: noFaults,
    ledgerFile: undefined,
    logger: createLogger({ level: 'silent', name: 'issuer-sim' }),
    tls: readServerTlsOptions({ ...bankHost, clientCaFile: gatewayCa.certFile }, 'issuer-sim tls'),
  });
});

after(async () => {
  await sim?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('with the bank CA and its client certificate, the channel connects over TLS and gets answers', async (t) => {
  const logger = recordingLogger();
  const channel = channelTo({ caFile: bankCa.certFile, ...clientCertificate }, logger);
  channel.start();
  t.after(() => channel.close());
  await waitFor(() => channel.health().connected === 1, 'the TLS connection', 10_000);
  assert.equal(kindOf(await channel.send(sale(), { timeoutMs: 5_000 })), 'reply/00');
  assert.ok(logger.lines.some((line) => line.message === 'upstream connected' && (line.object as { tls?: boolean }).tls === true));
});

for (const [name, tls] of [
  ['a bank certificate from a CA the channel does not trust', () => ({ caFile: otherCa.certFile, ...clientCertificate })],
  ['a bank certificate that does not carry the configured server name', () => ({ caFile: bankCa.certFile, serverName: 'bank.example', ...clientCertificate })],
] as const) {
  test(`${name}: never connected, nothing sent, the handshake failure is a warning`, async (t) => {
    const logger = recordingLogger();
    const channel = channelTo(tls(), logger);
    channel.start();
    t.after(() => channel.close());
    await waitFor(() => logger.lines.some((line) => line.level === 'warn' && line.message === 'upstream TLS handshake failed'), 'the handshake failure', 10_000);
    await delay(100);
    assert.equal(channel.health().connected, 0);
    assert.equal(kindOf(await channel.send(sale(), { timeoutMs: 1_000 })), 'not_sent/no_connection');
  });
}

test('setTls (what SIGHUP does): connections opened afterwards present the renewed client certificate', async (t) => {
  // A bank that only records which client certificate each connection presented.
  const presented: string[] = [];
  const sockets = new Set<TLSSocket>();
  const bank = createTlsServer(readServerTlsOptions({ ...bankHost, clientCaFile: gatewayCa.certFile }, 'bank'), (socket) => {
    presented.push(socket.getPeerCertificate().fingerprint256);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => bank.listen(0, '127.0.0.1', resolve));
  const address = bank.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const renewed = issueTestCertificate(gatewayCa, dir, 'gateway-client-renewed', 'client');
  const channel = new UpstreamChannel({
    name: 'bank', host: '127.0.0.1', port, dialect: 'iso87-ascii', framing: 'binary2', frameBytesMax: 4096, connections: 1, inFlightMax: 16, echoIntervalMs: 0,
    acquirerId: '48020000', reconnectBackoffMs: 20, reconnectBackoffMsMax: 100, connectTimeoutMs: 2_000, logger: recordingLogger(),
    tls: readClientTlsOptions({ caFile: bankCa.certFile, ...clientCertificate }, 'channels[0].tls'),
  });
  channel.start();
  t.after(async () => {
    await channel.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => bank.close(resolve));
  });
  await waitFor(() => presented.length === 1, 'the first connection', 10_000);
  assert.equal(presented[0], new X509Certificate(pem(clientCertificate.certFile)).fingerprint256);
  channel.setTls(readClientTlsOptions({ caFile: bankCa.certFile, ...renewed }, 'channels[0].tls'));
  for (const socket of sockets) socket.destroy();
  await waitFor(() => presented.length >= 2, 'the reconnection', 10_000);
  assert.equal(presented.at(-1), new X509Certificate(pem(renewed.certFile)).fingerprint256, 'the renewed certificate');
});
