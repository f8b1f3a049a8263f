// Goal: the terminal emulator sends what a POS sends and follows the verdict the way the spec says. Method: table tests for the pure helpers, then a scripted and an interactive session against an in-process fake listener (real TCP, real codec) whose answers are chosen by amount, recording every request it gets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { encodeFrame, FrameDecoder, getDialect, getText, packMessage, unpackMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { entryModeOf } from '../../../src/adapters/terminal-link/parse-terminal-request.ts';
import { entryChoices, parseVerdict, posEntryModeOf, transmissionTimeOf } from '../../../src/app/terminal-emulator/terminal-session.ts';
import { nextStepFor } from '../../../src/app/terminal-emulator/format-receipt.ts';
import { parseEntry, resolveCard, runInteractiveTerminal, runOneSale } from '../../../src/app/terminal-emulator/run-terminal-emulator.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const dialect = getDialect('iso87-ascii');
let server: Server;
let port = 0;
const received: IsoMessage[] = [];

/** Answers by amount: 88801 never, 88802 98/WAIT, 1000 42/LATER, else 00 (41/NEVER for the lost test card). */
function answerFor(request: IsoMessage): IsoMessage | null {
  const echo = (fields: number[]) => Object.fromEntries(fields.flatMap((de) => (request.fields[de] === undefined ? [] : [[de, request.fields[de]]])));
  if (request.mti === '0800') return { mti: '0810', fields: { ...echo([7, 11, 41, 42, 70]), 39: getText(request, 41) === 'T9999999' ? '97' : '00' } };
  if (request.mti === '0400') return { mti: '0410', fields: { ...echo([3, 4, 7, 11, 41, 42, 49, 90]), 39: '00' } };
  if (request.mti !== '0200') return null;
  const amount = Number(getText(request, 4));
  const base = echo([3, 4, 7, 11, 12, 13, 25, 41, 42, 49]);
  if (amount === 88_801) return null;
  if (amount === 88_802) return { mti: '0210', fields: { ...base, 39: '98', 44: 'WAIT:30', 63: 'Outcome unknown; do not swipe again.' } };
  if (amount === 1_000) return { mti: '0210', fields: { ...base, 39: '42', 44: 'LATER:1', 63: 'Try again later.' } };
  if (getText(request, 2) === '6222020000000000026') return { mti: '0210', fields: { ...base, 37: '000000000041', 39: '41', 44: 'NEVER', 63: 'Card reported lost.' } };
  return { mti: '0210', fields: { ...base, 37: '632900000001', 38: 'A1B2C3', 39: '00', 44: 'NONE', 63: 'Approved. Print receipt.' } };
}

before(async () => {
  server = createServer((socket) => {
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 8192 });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const request = unpackMessage(dialect, frame);
        received.push(request);
        const answer = answerFor(request);
        if (answer !== null) socket.write(encodeFrame('binary2', packMessage(dialect, answer)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const session = (overrides: { answerTimeoutMs?: number; terminalId?: string } = {}) => ({
  host: '127.0.0.1',
  port,
  dialect: 'iso87-ascii',
  framing: 'binary2' as const,
  terminalId: overrides.terminalId ?? 'T0000001',
  merchantId: '898110053110001',
  answerTimeoutMs: overrides.answerTimeoutMs ?? 5_000,
  stanFirst: 500,
});

test('DE 44 verdict text parses to the vocabulary, and junk to null', () => {
  const rows: Array<[string | undefined, ReturnType<typeof parseVerdict>]> = [
    ['NONE', { verdict: 'none', waitSeconds: null }],
    ['NOW', { verdict: 'now', waitSeconds: null }],
    ['LATER:30', { verdict: 'later', waitSeconds: 30 }],
    ['WAIT:120', { verdict: 'wait', waitSeconds: 120 }],
    ['FIX', { verdict: 'fix', waitSeconds: null }],
    ['NEVER', { verdict: 'never', waitSeconds: null }],
    ['MAYBE', { verdict: null, waitSeconds: null }],
    ['LATER:x', { verdict: 'later', waitSeconds: null }],
    [undefined, { verdict: null, waitSeconds: null }],
  ];
  for (const [text, expected] of rows) assert.deepEqual(parseVerdict(text), expected, String(text));
});

test('each entry choice maps to a DE 22 that the gateway reads back as the same entry mode', () => {
  const expected = { chip: 'chip', swipe: 'swipe', tap: 'contactless', manual: 'manual' } as const;
  for (const entry of entryChoices) assert.equal(entryModeOf(posEntryModeOf(entry)), expected[entry], entry);
  assert.equal(parseEntry(' TAP '), 'tap');
  assert.throws(() => parseEntry('wave'), (error) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'entry');
});

test('the next step follows the verdict: NOW retry, LATER wait, FIX/NEVER another card, WAIT never re-swipe', () => {
  assert.match(nextStepFor('none', null), /receipt/);
  assert.match(nextStepFor('now', null), /retry now .*new trace/);
  assert.match(nextStepFor('later', 45), /retry after 45 s/);
  assert.match(nextStepFor('fix', null), /another card/);
  assert.match(nextStepFor('never', null), /another card/);
  assert.match(nextStepFor('wait', 30), /do NOT swipe again/);
  assert.match(nextStepFor(null, null), /look the payment up/);
});

test('cards resolve from test-card ids or PANs, and anything else names the flag', () => {
  assert.deepEqual(resolveCard('icbc-debit-ok'), { pan: '6222020000000000018', expiry: '3012', cvv: '123', label: 'icbc-debit-ok' });
  assert.equal(resolveCard('378282246310005').cvv, '1234');
  assert.equal(resolveCard('6222020000000000000').label, 'PAN');
  assert.throws(() => resolveCard('gold-card'), (error) => isReswipeError(error, 'RSW_BAD_ARGUMENT') && error.field === 'card');
  assert.equal(transmissionTimeOf(Date.UTC(2026, 10, 25, 9, 8, 7)), '1125090807');
});

test('a scripted sale signs on first, sends DE 2/4/11/14/22/41/42 and reports the slip', async () => {
  received.length = 0;
  const result = await runOneSale({ session: session(), card: resolveCard('icbc-debit-ok'), amountMinor: 1_234, entry: 'tap', cvv: '456' });
  assert.equal(result.signOnCode, '00');
  assert.deepEqual(received.map((message) => message.mti), ['0800', '0200']);
  const sale = received[1];
  assert.ok(sale !== undefined);
  assert.equal(getText(sale, 2), '6222020000000000018');
  assert.equal(getText(sale, 4), '000000001234');
  assert.equal(getText(sale, 22), '071');
  assert.equal(getText(sale, 41), 'T0000001');
  assert.equal(getText(sale, 42), '898110053110001');
  assert.equal(getText(sale, 48), 'CVV2=456');
  assert.notEqual(getText(sale, 11), getText(received[0] as IsoMessage, 11), 'sign-on and sale use different STANs');
  const report = result.report;
  assert.ok(report !== null);
  assert.equal(report.result, 'approved');
  assert.equal(report.receipt.authCode, 'A1B2C3');
  assert.equal(report.receipt.rrn, '632900000001');
  assert.equal(report.receipt.cardMasked, '622202*********0018');
  assert.equal(report.receipt.amount, 'CNY 12.34');
});

test('a refused sign-on sends no sale', async () => {
  received.length = 0;
  const result = await runOneSale({ session: session({ terminalId: 'T9999999' }), card: resolveCard('icbc-debit-ok'), amountMinor: 100, entry: 'chip' });
  assert.equal(result.signOnCode, '97');
  assert.equal(result.report, null);
  assert.deepEqual(received.map((message) => message.mti), ['0800']);
});

test('a sale with no answer gets the terminal own 0400 naming the original in DE 90', async () => {
  received.length = 0;
  const result = await runOneSale({ session: session({ answerTimeoutMs: 300 }), card: resolveCard('icbc-debit-ok'), amountMinor: 88_801, entry: 'chip' });
  assert.equal(result.report?.result, 'no_answer');
  assert.match(result.report?.nextStep ?? '', /do not swipe again/);
  const [, sale, reversal] = received;
  assert.equal(reversal?.mti, '0400');
  assert.equal(getText(reversal as IsoMessage, 39), '98');
  assert.equal(getText(reversal as IsoMessage, 90)?.slice(0, 20), `0200${getText(sale as IsoMessage, 11)}${getText(sale as IsoMessage, 7)}`);
});

/** Runs the interactive terminal with scripted input lines; returns what it printed. */
async function interactive(lines: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const done = runInteractiveTerminal(session(), { input, output });
  input.end(`${lines.join('\n')}\n`);
  await done;
  return printed;
}

test('interactive: a NEVER decline offers another card, which is then approved', async () => {
  received.length = 0;
  const printed = await interactive(['icbc-debit-lost', '5', 'swipe', 'y', '1', 'chip', 'q']);
  assert.match(printed, /sign-on: 00 signed on/);
  assert.match(printed, /DECLINED 41 +verdict NEVER/);
  assert.match(printed, /try another card for this sale\?/);
  assert.match(printed, /APPROVED/);
  const sales = received.filter((message) => message.mti === '0200');
  assert.deepEqual(sales.map((message) => getText(message, 2)), ['6222020000000000026', '6222020000000000018']);
  assert.deepEqual(sales.map((message) => getText(message, 4)), ['000000000500', '000000000500'], 'the same amount on the other card');
});

test('interactive: WAIT never re-swipes; the cashier may resend the same request (same trace and DE 7)', async () => {
  received.length = 0;
  const printed = await interactive(['1', '888.02', 'chip', 'y', 'n', 'q']);
  assert.match(printed, /verdict WAIT:30/);
  assert.match(printed, /Do not swipe again/);
  const sales = received.filter((message) => message.mti === '0200');
  assert.equal(sales.length, 2);
  assert.equal(getText(sales[0] as IsoMessage, 11), getText(sales[1] as IsoMessage, 11));
  assert.equal(getText(sales[0] as IsoMessage, 7), getText(sales[1] as IsoMessage, 7));
});

test('interactive: LATER waits the stated seconds, then retries with a new trace number', async () => {
  received.length = 0;
  const printed = await interactive(['1', '10', 'chip', 'y', 'n', 'q']);
  assert.match(printed, /wait 1 s and retry\?/);
  const sales = received.filter((message) => message.mti === '0200');
  assert.equal(sales.length, 2);
  assert.notEqual(getText(sales[0] as IsoMessage, 11), getText(sales[1] as IsoMessage, 11));
});

test('interactive: manual entry asks for expiry and CVV, and input ending quits cleanly', async () => {
  received.length = 0;
  const printed = await interactive(['icbc-debit-ok', '3', 'manual', '2001', '999']);
  assert.match(printed, /expiry YYMM/);
  const sale = received.find((message) => message.mti === '0200');
  assert.equal(getText(sale as IsoMessage, 14), '2001');
  assert.equal(getText(sale as IsoMessage, 48), 'CVV2=999');
  assert.equal(getText(sale as IsoMessage, 22), '012');
});
