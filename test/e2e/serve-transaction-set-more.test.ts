// Goal: the rest of the transaction set keeps the money promises between real processes: over ISO
// 8583 a pre-authorization cancel, a completion void and a settlement reconciled through 0320 batch
// upload; over HTTP a void, a capture, a cancel and a refused void and capture. Method: start
// `reswipe issuer-sim` and `reswipe serve` as child processes through the shared transaction-set
// setup, drive them with the codec-built test terminal and fetch, and check each answer, the
// simulator's ledger (money) and the payment's stored status; every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type TerminalClient, de7, saleMessage } from './terminal-client.ts';
import { getText, type IsoMessage } from '../../src/core/iso8583/index.ts';
import { runReswipe } from '../support/reswipe-process.ts';
import { waitForIssuerLedger } from '../support/issuer-ledger.ts';
import { startTransactionSetGateway, transactionSetMerchantId, transactionSetTerminal, type TransactionSetGateway } from '../support/transaction-set-gateway.ts';

const okPan = '6222020000000000018';
const terminal = transactionSetTerminal;
/** The HTTP tests use the merchant's other terminal, so the ISO batch of `terminal` holds only the ISO payments. */
const httpTerminal = 'T0000001';
const fetchTimeoutMs = 20_000;

interface LedgerEntry {
  kind: string;
  amountMinor: number;
  rrn: string | null;
  reversed: boolean;
  refundedMinor: number;
}

interface PaymentView {
  id: string;
  kind: string;
  status: string;
  amountMinor: number;
  originalPaymentId: string | null;
}

let started: TransactionSetGateway | undefined;
let client: TerminalClient;
let adminKey = '';
let stanCounter = 700;
let idempotencyCounter = 0;

function nextStan(): string {
  stanCounter += 1;
  return String(stanCounter).padStart(6, '0');
}

function gateway(): TransactionSetGateway {
  assert.ok(started, 'the processes are running');
  return started;
}

function waitForLedger(what: string, predicate: (entries: LedgerEntry[]) => boolean, timeoutMs = 15_000): Promise<LedgerEntry[]> {
  return waitForIssuerLedger(gateway().adminPort, what, predicate, timeoutMs);
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

function preauthMessage(amountMinor: number): IsoMessage {
  const preauth = { ...saleMessage({ stan: nextStan(), pan: okPan, amountMinor, terminalId: terminal }), mti: '0100' };
  preauth.fields[3] = '030000';
  preauth.fields[25] = '06';
  return preauth;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${gateway().httpPort}${path}`, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(fetchTimeoutMs) });
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

/** The stored payments of a terminal, newest first as the API lists them. */
async function storedPayments(terminalId: string): Promise<PaymentView[]> {
  return (await getJson<{ data: PaymentView[] }>(`/v1/payments?terminalId=${terminalId}&limit=100`)).data;
}

async function storedPayment(id: string): Promise<PaymentView> {
  return getJson<PaymentView>(`/v1/payments/${id}`);
}

/** The one stored payment of `terminal` with this kind and amount (the tests use amounts no other test uses). */
async function storedIsoPayment(kind: string, amountMinor: number): Promise<PaymentView> {
  const found = (await storedPayments(terminal)).filter((p) => p.kind === kind && p.amountMinor === amountMinor);
  assert.equal(found.length, 1, `one stored ${kind} of ${amountMinor}`);
  return found[0]!;
}

async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, any> }> {
  idempotencyCounter += 1;
  const response = await fetch(`http://127.0.0.1:${gateway().httpPort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'idempotency-key': `e2e-more-${idempotencyCounter}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(fetchTimeoutMs),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function httpPayment(amountMinor: number, capture: boolean): Promise<PaymentView> {
  const created = await post('/v1/payments', { merchantId: transactionSetMerchantId, terminalId: httpTerminal, amountMinor, currency: 'CNY', card: { number: okPan, expiry: '3012', entryMode: 'chip' }, capture });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.status, 'approved');
  return created.json as PaymentView;
}

before(async () => {
  started = await startTransactionSetGateway(nextStan, 'reswipe-e2e-txn-more-');
  client = started.client;
  const created = runReswipe(['keys', 'create', '--config', started.configPath, '--admin', '--label', 'e2e-more'], { cwd: started.dir });
  assert.equal(created.status, 0, created.stderr);
  adminKey = created.stdout.trim();
});

after(async () => {
  await started?.stop();
});

test('ISO pre-authorization cancel (0100 200000 naming the hold) releases the hold and charges nothing', async () => {
  const preauth = preauthMessage(6_100);
  assert.equal((await client.request(preauth)).fields[39], '00');
  await waitForLedger('the hold', (entries) => entries.some((e) => e.kind === 'hold' && e.amountMinor === 6_100 && !e.reversed));
  const cancelled = await client.request(followUpMessage('0100', '200000', '06', 6_100, preauth));
  assert.equal(cancelled.mti, '0110');
  assert.equal(cancelled.fields[39], '00');
  const entries = await waitForLedger('the hold released', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 6_100 && e.reversed));
  assert.equal(entries.filter((e) => e.kind === 'charge' && e.amountMinor === 6_100).length, 0, 'a cancel charges nothing');
  assert.equal((await storedIsoPayment('preauth', 6_100)).status, 'voided');
  assert.equal((await storedIsoPayment('preauth_cancel', 6_100)).status, 'approved');
  const again = await client.request(followUpMessage('0100', '200000', '06', 6_100, preauth));
  assert.equal(again.fields[39], '12');
  assert.match(getText(again, 63) ?? '', /already cancelled/);
});

test('ISO completion void (0200 200000 DE 25 06 naming the completion) gives the completion charge back', async () => {
  const preauth = preauthMessage(7_000);
  assert.equal((await client.request(preauth)).fields[39], '00');
  const completion = followUpMessage('0200', '000000', '06', 7_200, preauth);
  assert.equal((await client.request(completion)).fields[39], '00');
  await waitForLedger('the completion charged', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 7_200 && e.refundedMinor === 0));
  const partial = await client.request(followUpMessage('0200', '200000', '06', 7_000, completion));
  assert.equal(partial.fields[39], '64');
  assert.match(getText(partial, 63) ?? '', /refund part instead/);
  const voided = await client.request(followUpMessage('0200', '200000', '06', 7_200, completion));
  assert.equal(voided.mti, '0210');
  assert.equal(voided.fields[39], '00');
  const entries = await waitForLedger('the completion given back', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 7_200 && e.refundedMinor === 7_200));
  assert.equal(entries.filter((e) => e.kind === 'charge' && e.amountMinor === 7_200).length, 1);
  assert.equal((await storedIsoPayment('completion', 7_200)).status, 'voided');
  assert.equal((await storedIsoPayment('completion_void', 7_200)).status, 'approved');
});

test('ISO 0500 with unequal totals answers 95, 0320 batch upload entries answer 00 and are matched, a balanced 0500 settles', async () => {
  const sale = saleMessage({ stan: nextStan(), pan: okPan, amountMinor: 3_333, terminalId: terminal });
  assert.equal((await client.request(sale)).fields[39], '00');
  const settle = (totals: string) => client.request({ mti: '0500', fields: { 7: de7(), 11: nextStan(), 41: terminal, 42: transactionSetMerchantId, 48: totals } });
  // The batch of this terminal: the sale 3333 only (the cancelled hold, the voided completion and their follow-ups count nothing).
  const journal = `${'3333'.padStart(12, '0')}001${'0'.repeat(12)}000`;
  const wrong = await settle(`${'3000'.padStart(12, '0')}001${'0'.repeat(12)}000`);
  assert.equal(wrong.mti, '0510');
  assert.equal(wrong.fields[39], '95');
  assert.match(getText(wrong, 63) ?? '', new RegExp(`journal ${journal}`));

  const upload = (stan: string, amountMinor: number) => client.request({ mti: '0320', fields: { 3: '000000', 4: String(amountMinor).padStart(12, '0'), 7: de7(), 11: stan, 41: terminal, 42: transactionSetMerchantId } });
  const matched = await upload(getText(sale, 11) ?? '', 3_333);
  assert.equal(matched.mti, '0330');
  assert.equal(matched.fields[39], '00');
  const unknown = await upload('999998', 3_000);
  assert.equal(unknown.fields[39], '00', 'an entry the journal lacks is still received');
  const events = async (type: string) => (await getJson<{ data: Array<{ type: string; payload: Record<string, unknown> }> }>(`/v1/events?type=${type}&limit=100`)).data;
  assert.equal((await events('batch.upload_matched')).length, 1);
  assert.equal((await events('batch.upload_mismatch')).length, 1);

  const right = await settle(journal);
  assert.equal(right.fields[39], '00', getText(right, 63));
  assert.equal((await events('batch.settled')).length, 1);
  const sold = await storedIsoPayment('sale', 3_333);
  assert.equal(sold.status, 'approved');
  await waitForLedger('the sale charged and untouched', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 3_333 && e.refundedMinor === 0 && !e.reversed));
  const voidAfter = await client.request(followUpMessage('0200', '200000', '00', 3_333, sale));
  assert.equal(voidAfter.fields[39], '12');
  assert.equal(getText(voidAfter, 63), 'batch already settled: refund instead');
});

test('HTTP sale then /void: the sale is voided at the issuer and in the store', async () => {
  const sale = await httpPayment(8_100, true);
  await waitForLedger('the sale charged', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 8_100));
  const voided = await post(`/v1/payments/${sale.id}/void`, {});
  assert.equal(voided.status, 201, JSON.stringify(voided.json));
  assert.equal(voided.json.kind, 'void');
  assert.equal(voided.json.status, 'approved');
  assert.equal(voided.json.originalPaymentId, sale.id);
  await waitForLedger('the voided charge given back', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 8_100 && e.refundedMinor === 8_100));
  assert.equal((await storedPayment(sale.id)).status, 'voided');
});

test('HTTP pre-authorization then /capture within the tolerance: the hold becomes one charge', async () => {
  const hold = await httpPayment(9_000, false);
  assert.equal(hold.kind, 'preauth');
  await waitForLedger('the hold', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 9_000 && !e.reversed));
  const captured = await post(`/v1/payments/${hold.id}/capture`, { amountMinor: 9_900 });
  assert.equal(captured.status, 201, JSON.stringify(captured.json));
  assert.equal(captured.json.kind, 'completion');
  assert.equal(captured.json.status, 'approved');
  const entries = await waitForLedger('the hold released and the capture charged', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 9_000 && e.reversed) && all.some((e) => e.kind === 'charge' && e.amountMinor === 9_900));
  assert.equal(entries.filter((e) => e.kind === 'charge' && e.amountMinor === 9_900).length, 1);
  assert.equal((await storedPayment(captured.json.id as string)).status, 'approved');
});

test('HTTP /capture beyond the tolerance is refused (RSW_TXN_COMPLETION_EXCEEDS), then /cancel releases the hold', async () => {
  const hold = await httpPayment(2_000, false);
  await waitForLedger('the hold', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 2_000 && !e.reversed));
  const over = await post(`/v1/payments/${hold.id}/capture`, { amountMinor: 2_301 });
  assert.equal(over.status, 409);
  assert.equal(over.json.code, 'RSW_TXN_COMPLETION_EXCEEDS');
  assert.equal((await storedPayment(hold.id)).status, 'approved', 'the refused capture leaves the hold open');
  const cancelled = await post(`/v1/payments/${hold.id}/cancel`, {});
  assert.equal(cancelled.status, 201, JSON.stringify(cancelled.json));
  assert.equal(cancelled.json.kind, 'preauth_cancel');
  assert.equal(cancelled.json.status, 'approved');
  const entries = await waitForLedger('the hold released', (all) => all.some((e) => e.kind === 'hold' && e.amountMinor === 2_000 && e.reversed));
  assert.equal(entries.filter((e) => e.kind === 'charge' && (e.amountMinor === 2_000 || e.amountMinor === 2_301)).length, 0, 'nothing was charged');
  assert.equal((await storedPayment(hold.id)).status, 'voided');
});

test('HTTP /void of a partially refunded sale is refused (RSW_TXN_HAS_REFUNDS) and gives back only the refund', async () => {
  const sale = await httpPayment(6_400, true);
  const refund = await post(`/v1/payments/${sale.id}/refunds`, { amountMinor: 1_400 });
  assert.equal(refund.status, 201, JSON.stringify(refund.json));
  await waitForLedger('the refund credited', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 6_400 && e.refundedMinor === 1_400));
  const refused = await post(`/v1/payments/${sale.id}/void`, {});
  assert.equal(refused.status, 409);
  assert.equal(refused.json.code, 'RSW_TXN_HAS_REFUNDS');
  assert.equal((await storedPayment(sale.id)).status, 'approved');
  const entries = await waitForLedger('the sale still charged less the refund', (all) => all.some((e) => e.kind === 'charge' && e.amountMinor === 6_400));
  const charge = entries.find((e) => e.kind === 'charge' && e.amountMinor === 6_400);
  assert.equal(charge?.refundedMinor, 1_400, 'the refused void moved no money');
});
