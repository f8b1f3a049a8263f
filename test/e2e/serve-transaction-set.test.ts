// Goal: the whole transaction set keeps the money promises between real processes: void, refund
// advice, pre-authorization and completion, balance inquiry and batch settlement over ISO 8583, and
// a refund over HTTP, each refusal answered with its standard code and a DE 63 reason. Method: start
// `reswipe issuer-sim` and `reswipe serve` as child processes (port 0, a config file pointing at the
// simulator), drive them with the codec-built test terminal and fetch, and check every answer
// against the simulator's ledger; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { getText, type IsoMessage } from '../../src/core/iso8583/index.ts';
import { runReswipe } from '../support/reswipe-process.ts';
import { readIssuerLedger, waitForIssuerLedger, type IssuerLedger } from '../support/issuer-ledger.ts';
import { startTransactionSetGateway, type TransactionSetGateway } from '../support/transaction-set-gateway.ts';

const okPan = '6222020000000000018';
const terminal = 'T0000002';

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
  refundedMinor: number;
}

let dir = '';
let started: TransactionSetGateway | undefined;
let adminPort = 0;
let httpPort = 0;
let stanCounter = 500;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

function ledger(): Promise<IssuerLedger<LedgerEntry>> {
  return readIssuerLedger<LedgerEntry>(adminPort);
}

function waitForLedger(what: string, predicate: (entries: LedgerEntry[]) => boolean, timeoutMs = 15_000): Promise<LedgerEntry[]> {
  return waitForIssuerLedger(adminPort, what, predicate, timeoutMs);
}

/** DE 90 naming the terminal's own earlier request (MTI, STAN, DE 7). */
function naming(original: IsoMessage): string {
  return `${original.mti}${getText(original, 11)}${getText(original, 7)}${'0'.repeat(22)}`;
}

function followUpMessage(mti: string, processingCode: string, conditionCode: string, amountMinor: number, original: IsoMessage): IsoMessage {
  const base = saleMessage({ stan: nextStan(), pan: okPan, amountMinor, terminalId: terminal });
  const fields: IsoMessage['fields'] = { ...base.fields, 3: processingCode, 25: conditionCode, 90: naming(original) };
  delete fields[2];
  delete fields[14];
  return { mti, fields };
}

let client: TerminalClient;

before(async () => {
  started = await startTransactionSetGateway(nextStan);
  ({ dir, adminPort, httpPort, client } = started);
});

after(async () => {
  await started?.stop();
});

test('ISO void: same day, full amount, the charge given back; a partial void is refused with 64 and a reason', async () => {
  const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 3_001, terminalId: terminal });
  assert.equal((await client.request(sale)).fields[39], '00');
  const voided = await client.request(followUpMessage('0200', '200000', '00', 3_001, sale));
  assert.equal(voided.mti, '0210');
  assert.equal(voided.fields[39], '00');
  await waitForLedger('the voided charge given back', (entries) => entries.some((e) => e.kind === 'charge' && e.amountMinor === 3_001 && e.refundedMinor === 3_001));

  const other = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 3_002, terminalId: terminal });
  assert.equal((await client.request(other)).fields[39], '00');
  const partial = await client.request(followUpMessage('0200', '200000', '00', 1_000, other));
  assert.equal(partial.fields[39], '64');
  assert.match(getText(partial, 63) ?? '', /refund part instead/);
  const unknown = await client.request(followUpMessage('0200', '200000', '00', 1_000, { mti: '0200', fields: { 11: '999999', 7: '0101000000' } }));
  assert.equal(unknown.fields[39], '25');
});

test('ISO refund advice (0220): partial, then refused beyond the original with 64 and the reason', async () => {
  const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 4_000, terminalId: terminal });
  assert.equal((await client.request(sale)).fields[39], '00');
  const refund = await client.request(followUpMessage('0220', '200000', '00', 1_000, sale));
  assert.equal(refund.mti, '0230');
  assert.equal(refund.fields[39], '00');
  const tooMuch = await client.request(followUpMessage('0220', '200000', '00', 3_001, sale));
  assert.equal(tooMuch.fields[39], '64');
  assert.match(getText(tooMuch, 63) ?? '', /refunds would exceed the original: 3000 of 4000/);
  await waitForLedger('the refund credited once', (entries) => entries.some((e) => e.kind === 'charge' && e.amountMinor === 4_000 && e.refundedMinor === 1_000));
});

test('ISO pre-authorization, completion within the tolerance (the hold becomes a charge), a second completion refused', async () => {
  const preauth = { ...saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 5_000, terminalId: terminal }), mti: '0100' };
  preauth.fields[3] = '030000';
  preauth.fields[25] = '06';
  const held = await client.request(preauth);
  assert.equal(held.mti, '0110');
  assert.equal(held.fields[39], '00');
  const completion = await client.request(followUpMessage('0200', '000000', '06', 5_500, preauth));
  assert.equal(completion.fields[39], '00');
  const entries = await waitForLedger('the hold released and the completion charged', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 5_000 && e.reversed) && all.some((e) => e.kind === 'charge' && e.amountMinor === 5_500));
  assert.equal(entries.filter((e) => e.kind === 'charge' && e.amountMinor === 5_500).length, 1);
  const again = await client.request(followUpMessage('0200', '000000', '06', 100, preauth));
  assert.equal(again.fields[39], '12');
  assert.match(getText(again, 63) ?? '', /already completed/);
});

test('ISO balance inquiry answers DE 54 and moves no money', async () => {
  const before = (await ledger()).totals.netChargedMinor;
  const inquiry = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 0, terminalId: terminal });
  inquiry.fields[3] = '310000';
  const answer = await client.request(inquiry);
  assert.equal(answer.fields[39], '00');
  assert.match(getText(answer, 54) ?? '', /^1002156C\d{12}$/);
  assert.equal((await ledger()).totals.netChargedMinor, before);
});

test('HTTP refund of the completion, then 0500 settlement: unequal totals 95, equal 00, and a void after it refused', async () => {
  const created = runReswipe(['keys', 'create', '--config', join(dir, 'config.json'), '--admin', '--label', 'e2e'], { cwd: dir });
  assert.equal(created.status, 0, created.stderr);
  const adminKey = created.stdout.trim();
  const list = await fetch(`http://127.0.0.1:${httpPort}/v1/payments?terminalId=${terminal}&limit=100`, { headers: { authorization: `Bearer ${adminKey}` } });
  const payments = ((await list.json()) as { data: Array<{ id: string; amountMinor: number; status: string }> }).data;
  const completion = payments.find((p) => p.amountMinor === 5_500 && p.status === 'approved');
  assert.ok(completion, 'the completion is listed');
  const refund = await fetch(`http://127.0.0.1:${httpPort}/v1/payments/${completion.id}/refunds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'idempotency-key': 'e2e-refund-1', 'content-type': 'application/json' },
    body: JSON.stringify({ amountMinor: 500 }),
  });
  assert.equal(refund.status, 201);
  await waitForLedger('the HTTP refund credited', (entries) => entries.some((e) => e.kind === 'charge' && e.amountMinor === 5_500 && e.refundedMinor === 500));

  const wrong = await client.request({ mti: '0500', fields: { 7: de7(), 11: nextStan(), 41: terminal, 42: 'M00000000000001', 48: '000000000000000000000000000000' } });
  assert.equal(wrong.mti, '0510');
  assert.equal(wrong.fields[39], '95');
  // The journal of this terminal: sales 3002 and 4000 and the completion 5500 (the voided 3001 is out); refunds 1000 and 500.
  const totals = `${'12502'.padStart(12, '0')}003${'1500'.padStart(12, '0')}002`;
  const right = await client.request({ mti: '0500', fields: { 7: de7(), 11: nextStan(), 41: terminal, 42: 'M00000000000001', 48: totals } });
  assert.equal(right.fields[39], '00', getText(wrong, 63));
  const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 777, terminalId: terminal });
  assert.equal((await client.request(sale)).fields[39], '00');
  const late = await client.request({ mti: '0500', fields: { 7: de7(), 11: nextStan(), 41: terminal, 42: 'M00000000000001', 48: `${'777'.padStart(12, '0')}001${'0'.repeat(12)}000` } });
  assert.equal(late.fields[39], '00');
  const voidAfter = await client.request(followUpMessage('0200', '200000', '00', 777, sale));
  assert.equal(voidAfter.fields[39], '12');
  assert.equal(getText(voidAfter, 63), 'batch already settled: refund instead');
  // Money: what the terminal and the client were told equals what moved.
  assert.equal((await ledger()).totals.netChargedMinor, 3_002 + 4_000 + 5_500 + 777 - 1_000 - 500);
});
