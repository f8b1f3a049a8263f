// Goal: a WeChat Pay sale sent by a terminal over a real TCP connection (DE 22 `031`, the scanned code
// in DE 48) is taken by the composed gateway through the real WeChat Pay v2 channel against the QR
// sandbox, and what the terminal is told agrees with the sandbox's book: paid, paying then paid,
// declined (DE 39 and DE 63 from the catalogue), an unknown outcome cancelled, a retransmission (same
// DE 11 and DE 7) answered the first answer with ONE trade in the book, a terminal 0400 of a paid QR
// sale cancels the trade (never a card 0400, never a second pay); on cups-pos through the terminal
// emulator's QR sale (`reswipe terminal --auth-code`).
// Method: the sandbox in process on an ephemeral port, the gateway composed with two listeners (port
// 0), TerminalClient (iso87-ascii) and TerminalSession (cups-pos) as terminals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeGateway, type Gateway } from '../../src/app/compose-gateway.ts';
import { TerminalSession } from '../../src/app/terminal-emulator/terminal-session.ts';
import { validateConfig } from '../../src/core/config/config-schema.ts';
import { getText } from '../../src/core/iso8583/index.ts';
import { startQrSandbox, type RunningQrSandbox } from '../../src/sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../src/sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../../src/sim/qr/wechatpay-magic-codes.ts';
import { TerminalClient, de7, qrSaleMessage } from './terminal-client.ts';
import { waitingFor } from '../support/wait-for.ts';

const merchantId = 'M00000000000001';
const terminalId = 'T0000001';
const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 20 });
const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

let dir = '';
let wechat: WechatPaySandbox;
let sandbox: RunningQrSandbox;
let gateway: Gateway;
let asciiPort = 0;
let cupsPort = 0;
let stanCounter = 200;
let codeCounter = 500;

const nextStan = () => String(++stanCounter).padStart(6, '0');
const nextCode = (prefix: string) => wechatMagicCode(prefix, ++codeCounter);

async function signedOnClient(): Promise<TerminalClient> {
  const client = await TerminalClient.connect(asciiPort);
  const answer = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: terminalId, 70: '001' } });
  assert.equal(answer.fields[39], '00');
  return client;
}

/** The trades the sandbox booked for codes ending like this one (the book keeps only first 4 and last 4 digits). */
function tradesOfCode(authCode: string) {
  return [...wechat.book.trades.values()].filter((trade) => trade.authCodeMasked.endsWith(authCode.slice(-4)) && trade.authCodeMasked.startsWith(authCode.slice(0, 4)));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reswipe-qr-terminal-'));
  wechat = new WechatPaySandbox();
  sandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 11, providers: [wechat] });
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'gw.db')}` },
    security: { panKey: 'qr-terminal-test-pan-key-0123456789-abcdefgh', developmentMode: true },
    log: { level: 'silent' },
    http: { port: 0 },
    listeners: [
      { name: 'apps', port: 0, dialect: 'iso87-ascii', language: 'en' },
      { name: 'pos', port: 0, dialect: 'cups-pos', language: 'zh' },
    ],
    engine: { terminalTimeoutMs: 12_000, qr: { budgetMs: 8_000, queryDelaysMs: [150, 250, 350] } },
    channels: [{ name: 'wx', protocol: 'wechatpay-v2', baseUrl: sandbox.url, ...wechatSandboxDefaults, timeoutMs: 1_500 }],
    merchants: [{ id: merchantId, name: 'QR shop', mcc: '5411', accepts: ['debit', 'credit', 'wechat'], terminals: [terminalId] }],
  });
  gateway = await composeGateway(config, { logger: silentLogger, qrFollowUpPollMs: 100 });
  await gateway.start();
  asciiPort = gateway.terminalListeners[0]!.port;
  cupsPort = gateway.terminalListeners[1]!.port;
});

after(async () => {
  await gateway?.close();
  await sandbox?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('paid at once and paying-then-paid answer 00 with the trade number, each paid once in the book', async () => {
  const client = await signedOnClient();
  try {
    const rrnsTold: string[] = [];
    for (const prefix of ['130000', '131002']) {
      const authCode = nextCode(prefix);
      const answer = await client.request(qrSaleMessage({ stan: nextStan(), authCode, amountMinor: 1_250 }));
      assert.equal(answer.mti, '0210');
      assert.equal(answer.fields[39], '00', `${prefix}: ${JSON.stringify(answer.fields)}`);
      assert.equal(answer.fields[44], 'NONE');
      const trades = tradesOfCode(authCode);
      assert.equal(trades.length, 1);
      assert.equal(trades[0]!.paidFee, 1_250);
      // DE 37 is the provider's trade number (its last 12 characters, the part that tells trades apart: DE 37 is an12).
      assert.equal((getText(answer, 37) ?? '').trim(), trades[0]!.transactionId.slice(-12));
      rrnsTold.push(getText(answer, 37) ?? '');
      const payment = await gateway.store.getPayment(trades[0]!.outTradeNo);
      assert.equal(payment?.status, 'approved');
      assert.equal(payment?.method, 'wechat');
      assert.equal(payment?.entryMode, 'qr');
      assert.equal(payment?.terminalId, terminalId);
      assert.ok(!(payment?.panMasked ?? '').includes(authCode.slice(4, 14)), 'the code is stored masked');
    }
    assert.equal(new Set(rrnsTold).size, rrnsTold.length, 'each QR sale is told its own RRN');
  } finally {
    client.close();
  }
});

test('a declined QR sale answers the catalogue code and cashier text, and nothing is charged', async () => {
  const client = await signedOnClient();
  try {
    const authCode = nextCode('132001');
    const answer = await client.request(qrSaleMessage({ stan: nextStan(), authCode, amountMinor: 990 }));
    assert.notEqual(answer.fields[39], '00');
    assert.equal(answer.fields[39], '51', 'NOTENOUGH is insufficient funds');
    assert.match(getText(answer, 63) ?? '', /\S/);
    assert.equal(tradesOfCode(authCode).reduce((sum, trade) => sum + trade.paidFee - trade.reversedFee, 0), 0);
  } finally {
    client.close();
  }
});

test('an unknown outcome (system error, nothing happened) ends cancelled, not charged', async () => {
  const client = await signedOnClient();
  try {
    const authCode = nextCode('133002');
    const answer = await client.request(qrSaleMessage({ stan: nextStan(), authCode, amountMinor: 777 }));
    assert.notEqual(answer.fields[39], '00');
    assert.match(getText(answer, 63) ?? '', /\S/);
    for (const trade of tradesOfCode(authCode)) assert.equal(trade.paidFee - trade.reversedFee, 0);
    const payments = await gateway.store.listPayments({ limit: 5, terminalId });
    const stored = payments.data.find((payment) => payment.panMasked.endsWith(authCode.slice(-4)) && payment.amountMinor === 777);
    assert.ok(stored !== undefined);
    assert.ok(stored.status === 'reversed' || stored.status === 'declined', stored.status);
  } finally {
    client.close();
  }
});

test('a retransmission (same DE 11 and DE 7) gets the first answer and the book has one trade', async () => {
  const first = await signedOnClient();
  const second = await TerminalClient.connect(asciiPort);
  try {
    const authCode = nextCode('131003');
    const message = qrSaleMessage({ stan: nextStan(), authCode, amountMinor: 3_300 });
    // The resend arrives on another connection while the original is still asking the provider.
    const original = first.request(message);
    await waitFor('the first pay reached the sandbox', () => tradesOfCode(authCode).length === 1);
    const resent = await second.request(message);
    const answered = await original;
    assert.equal(answered.fields[39], '00');
    assert.equal(resent.fields[39], '00');
    assert.equal(getText(resent, 37), getText(answered, 37));
    // And once more after the end: the stored answer.
    const again = await second.request(message);
    assert.equal(again.fields[39], '00');
    assert.equal(getText(again, 37), getText(answered, 37));
    const trades = tradesOfCode(authCode);
    assert.equal(trades.length, 1, 'one order in the book');
    assert.equal(trades[0]!.paidFee, 3_300);
    // The same key with another amount is not a resend: refused 94, nothing paid.
    const changed = await second.request({ ...message, fields: { ...message.fields, 4: '000000003301' } });
    assert.equal(changed.fields[39], '94');
    assert.equal(tradesOfCode(authCode).length, 1);
  } finally {
    first.close();
    second.close();
  }
});

test('a terminal 0400 of a paid QR sale cancels the trade: the money goes back, the sale ends voided', async () => {
  const client = await signedOnClient();
  try {
    const authCode = nextCode('130000');
    const stan = nextStan();
    const transmittedAt = de7();
    const sale = await client.request(qrSaleMessage({ stan, authCode, amountMinor: 4_400, transmittedAt }));
    assert.equal(sale.fields[39], '00');
    const reversal = await client.request({
      mti: '0400',
      fields: { 3: '000000', 4: '000000004400', 7: de7(), 11: nextStan(), 39: '98', 41: terminalId, 42: merchantId, 49: '156', 90: `0200${stan}${transmittedAt}${'0'.repeat(22)}` },
    });
    assert.equal(reversal.mti, '0410');
    assert.equal(reversal.fields[39], '00');
    const trades = tradesOfCode(authCode);
    assert.equal(trades.length, 1, 'never a second pay');
    assert.equal(trades[0]!.paidFee - trades[0]!.reversedFee, 0, 'the trade was cancelled');
    assert.equal((await gateway.store.getPayment(trades[0]!.outTradeNo))?.status, 'voided');
    // A repeated 0400 changes nothing more.
    const repeated = await client.request({ mti: '0400', fields: { ...reversal.fields, 11: nextStan(), 39: '98', 90: `0200${stan}${transmittedAt}${'0'.repeat(22)}`, 3: '000000', 4: '000000004400', 49: '156' } });
    assert.equal(repeated.fields[39], '00');
    assert.equal(tradesOfCode(authCode).length, 1);
    assert.equal(trades[0]!.reverseCalls, 1);
  } finally {
    client.close();
  }
});

test('cups-pos: the terminal emulator scans a code (DE 22 031, DE 48 the digits) and is paid once', async () => {
  const session = await TerminalSession.connect({ host: '127.0.0.1', port: cupsPort, dialect: 'cups-pos', framing: 'binary2', terminalId, merchantId, answerTimeoutMs: 20_000, stanFirst: 900 });
  try {
    assert.equal(await session.signOn(), '00');
    const authCode = nextCode('131001');
    const sent = session.buildSale({ pan: authCode, amountMinor: 2_020, entry: 'qr' });
    assert.equal(sent.message.fields[22], '031');
    assert.equal(sent.message.fields[2], undefined, 'no card number is sent');
    const answer = await session.sale(sent);
    assert.equal(answer.kind, 'answered');
    assert.equal(answer.responseCode, '00');
    assert.match(answer.cashierMessage ?? '', /交易成功/);
    const trades = tradesOfCode(authCode);
    assert.equal(trades.length, 1);
    assert.equal(trades[0]!.paidFee, 2_020);
  } finally {
    session.close();
  }
});

test('a QR entry without a code, or with a code of no method, is refused 14 before anything is sent', async () => {
  const client = await signedOnClient();
  try {
    const before = wechat.book.trades.size;
    const noCode = qrSaleMessage({ stan: nextStan(), authCode: '0', amountMinor: 100 });
    delete noCode.fields[48];
    assert.equal((await client.request(noCode)).fields[39], '14');
    const badCode = qrSaleMessage({ stan: nextStan(), authCode: '990000000000000000', amountMinor: 100 });
    assert.equal((await client.request(badCode)).fields[39], '14');
    assert.equal(wechat.book.trades.size, before);
  } finally {
    client.close();
  }
});
