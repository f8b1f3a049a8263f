// Goal: handle(request, context) answers every kind of terminal request as docs/terminal-link.md says,
// reaching the use cases only through their ports, with no socket anywhere. Method: parsed messages
// handed to handleTerminalRequest with recording fakes of SaleUseCases, FollowUpUseCases, the working
// keys and the store; each test checks both the answer and which use case was (or was not) called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getText, type IsoFieldValue, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { classifyResponseCode, storeBusyNotSentDiagnosis, terminalVerdictText } from '../../../src/core/declines/index.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { refuse } from '../../../src/core/payments/txn-rule-result.ts';
import type { PaymentView } from '../../../src/core/payments/payment-view.ts';
import type { FollowUpRequest, SaleRequest, SaleResult } from '../../../src/core/ports/payments.ts';
import type { StoreTx, TerminalRecord } from '../../../src/core/ports/store.ts';
import type { IssuedWorkingKeys } from '../../../src/core/ports/terminal-keys.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { handleTerminalRequest, type TerminalConnection, type TerminalFollowUpUseCases, type TerminalLink, type TerminalSaleUseCases } from '../../../src/adapters/terminal-link/handle-terminal-request.ts';
import { parseTerminalRequest, type TerminalRequest } from '../../../src/adapters/terminal-link/parse-terminal-request.ts';

const pan = '6222020000000000018';
const terminalId = 'TERM0001';
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function request(mti: string, fields: Record<number, IsoFieldValue>): TerminalRequest {
  const message: IsoMessage = { mti, fields: { 7: '1206101500', 11: '000123', 41: terminalId, 42: '898110053110001', 49: '156', ...fields } };
  const parsed = parseTerminalRequest(message, { dialectName: 'iso87-ascii', localDateMmdd: () => '1206' });
  assert.ok(parsed !== null);
  return parsed;
}

function view(status: PaymentView['status'], extra: Partial<PaymentView> = {}): PaymentView {
  return { id: 'pay_1', kind: 'sale', status, amountMinor: 1_000, currency: 'CNY', merchantId: '898110053110001', terminalId, card: { masked: '622202******0018', brand: 'unionpay', type: 'debit', issuer: null }, responseCode: status === 'approved' ? '00' : '51', authCode: status === 'approved' ? 'A1B2C3' : null, rrn: '000000000042', decline: null, attempts: [], fee: null, createdAt: '2026-12-06T10:15:00.000Z', reference: null, originalPaymentId: null, recovery: null, ...extra };
}

interface Harness {
  link: TerminalLink;
  calls: string[];
  sales: SaleRequest[];
  followUps: FollowUpRequest[];
  seen: string[];
  events: string[];
  terminal: TerminalRecord | null;
  closing: boolean;
}

function harness(options: { authorize?: (request: SaleRequest, call: number) => Promise<SaleResult>; followUps?: Partial<TerminalFollowUpUseCases> | null; issued?: IssuedWorkingKeys; macMode?: 'required' | 'optional' | 'off'; withKeys?: boolean } = {}): Harness {
  const clock = new ManualClock(Date.UTC(2026, 11, 6, 2, 15));
  const state: Harness = { link: undefined as unknown as TerminalLink, calls: [], sales: [], followUps: [], seen: [], events: [], terminal: { id: terminalId, merchantId: '898110053110001', state: 'active', signedOn: false, batchNo: '000003', limits: {}, lastSeenAtMs: null, createdAtMs: 0, updatedAtMs: 0 }, closing: false };
  let authorizeCalls = 0;
  const sales: TerminalSaleUseCases = {
    settings: { terminalTimeoutMs: 30_000, replyMarginMs: 500, panKey: 'k'.repeat(32), panKeysRetired: [{ id: 'old', key: 'o'.repeat(32) }] } as unknown as TerminalSaleUseCases['settings'],
    async authorize(sale) {
      state.calls.push('authorize');
      state.sales.push(sale);
      authorizeCalls += 1;
      return options.authorize === undefined ? { kind: 'completed', view: view('approved'), diagnosis: classifyResponseCode('00') } : options.authorize(sale, authorizeCalls);
    },
    async waitUntilAnswered(scope, key) {
      state.calls.push(`wait ${scope} ${key}`);
    },
    async reverseByTerminal(input) {
      state.calls.push(`reverse ${input.originalStan} ${String(input.amountMinor)}`);
      return input.amountMinor === 1_000 ? { responseCode: '00' } : { responseCode: '64', refusal: refuse('RSW_TXN_REVERSAL_AMOUNT', { originalMinor: 1_000, amountMinor: input.amountMinor ?? 0 }) };
    },
  };
  const followUps: TerminalFollowUpUseCases = {
    async findOriginalForTerminal(_terminal, by) {
      state.calls.push(`find ${by.rrn ?? by.stan ?? ''}`);
      return null;
    },
    async followUp(followUp) {
      state.calls.push(`followUp ${followUp.operation}`);
      state.followUps.push(followUp);
      return { kind: 'refused', refusal: refuse('RSW_TXN_ORIGINAL_NOT_FOUND') };
    },
    async balanceInquiry() {
      state.calls.push('balance');
      return { kind: 'answered', responseCode: '00', balanceMinor: 5_000, de54: '1002156C000000005000', diagnosis: classifyResponseCode('00') };
    },
    async settleBatch(settlement) {
      state.calls.push(`settle ${settlement.batchNo}`);
      return { responseCode: '95', verdict: { kind: 'differs' } as never, journal: { debitMinor: 100, debitCount: 1, creditMinor: 0, creditCount: 0 } };
    },
    async uploadBatchEntry(entry) {
      state.calls.push(`upload ${entry.stan}`);
      return { responseCode: '00', matched: false };
    },
    ...options.followUps,
  };
  const tx = {
    async getTerminal(id: string) {
      return id === terminalId ? state.terminal : null;
    },
    async upsertTerminal(record: TerminalRecord) {
      state.terminal = record;
    },
    async appendEvent(event: { type: string }) {
      state.events.push(event.type);
    },
  } as unknown as StoreTx;
  state.link = {
    listenerName: 'test',
    dialectName: 'iso87-ascii',
    language: 'en',
    sales,
    followUps: options.followUps === null ? undefined : followUps,
    store: { write: (work) => work(tx), getTerminal: async (id) => (id === terminalId ? state.terminal : null) },
    clock,
    logger: quiet,
    macMode: options.macMode ?? 'required',
    keys: options.withKeys === false ? undefined : { issue: async () => options.issued ?? { kind: 'issued', de62: Buffer.from('working keys'), keySet: '003', checkValues: { pin: 'AAAA', mac: 'BBBB', data: null } } },
    isClosing: () => state.closing,
    lastSeen: { note: (id) => state.seen.push(`note ${id}`), remember: (id) => state.seen.push(`remember ${id}`) },
  };
  return state;
}

const signedOn = (): TerminalConnection => ({ signedOn: new Set([terminalId]) });
const fresh = (): TerminalConnection => ({ signedOn: new Set() });

test('an approved sale: the use case gets the typed sale, the answer echoes and carries DE 37, 38, 39, 44 and 63', async () => {
  const h = harness();
  const answer = await handleTerminalRequest(request('0200', { 2: pan, 3: '000000', 4: '000000001000', 22: '071' }), { link: h.link, connection: fresh() });
  assert.equal(answer.mti, '0210');
  assert.equal(answer.fields[39], '00');
  assert.equal(answer.fields[38], 'A1B2C3');
  assert.equal(answer.fields[37], '000000000042');
  assert.equal(answer.fields[44], 'NONE');
  assert.equal(answer.fields[4], '000000001000', 'DE 4 is echoed');
  assert.ok((getText(answer, 63) ?? '').length > 0);
  const [sale] = h.sales;
  assert.ok(sale !== undefined);
  assert.equal(sale.amountMinor, 1_000);
  assert.equal(sale.currency, 'CNY');
  assert.equal(sale.capture, true);
  assert.equal(sale.card.entryMode, 'contactless');
  assert.equal(sale.card.number.toString().includes(pan), false, 'the card number prints masked');
  assert.deepEqual(sale.idempotency.scope, `iso:${terminalId}`);
  assert.equal(sale.idempotency.key, '000123:1206101500');
  assert.equal(sale.idempotency.requestHash.includes(pan), false);
  assert.equal(sale.idempotency.requestHashesRetired?.length, 1, 'one hash per retired card key');
  assert.notEqual(sale.idempotency.requestHashesRetired?.[0], sale.idempotency.requestHash);
  assert.deepEqual(h.seen, [`note ${terminalId}`], 'a sale counts as a sign of life');
});

test('a UnionPay QR sale (DE 22 03x, the code in DE 48 or DE 2) goes to the card engine as entry mode qr, without QR use cases on the listener', async () => {
  const code = '6212345678901234567';
  for (const fields of [{ 48: `QRC=${code}` }, { 2: code }] as Array<Record<number, IsoFieldValue>>) {
    const h = harness();
    const answer = await handleTerminalRequest(request('0200', { 3: '000000', 4: '000000001000', 22: '032', ...fields }), { link: h.link, connection: fresh() });
    assert.equal(answer.fields[39], '00');
    const [sale] = h.sales;
    assert.ok(sale !== undefined, 'the engine took it');
    assert.equal(sale.card.entryMode, 'qr');
    assert.equal(sale.card.number.reveal(), code);
    assert.equal(sale.capture, true);
    assert.equal(sale.idempotency.key, '000123:1206101500');
    assert.equal(sale.idempotency.requestHash.includes(code), false);
    assert.equal(sale.idempotency.requestHashesRetired?.length, 1);
  }
});

test('a pre-authorization asks for no capture; a retransmission of a running sale waits for the original answer', async () => {
  const h = harness({ authorize: async (_sale, call) => (call === 1 ? { kind: 'in_progress', paymentId: null } : { kind: 'replayed', view: view('declined'), diagnosis: classifyResponseCode('51'), responseStatus: null, responseBody: null }) });
  const answer = await handleTerminalRequest(request('0100', { 2: pan, 3: '030000', 4: '000000001000' }), { link: h.link, connection: fresh() });
  assert.equal(answer.mti, '0110');
  assert.equal(answer.fields[39], '51');
  assert.equal(answer.fields[38], undefined, 'no authorization code on a decline');
  assert.deepEqual(h.calls, ['authorize', `wait iso:${terminalId} 000123:1206101500`, 'authorize']);
  assert.equal(h.sales[0]?.capture, false);
});

test('a sale refused by the use case with a ReswipeError answers its DE 39; while closing nothing is asked and the answer is 96', async () => {
  const refused = harness({ authorize: async () => { throw new ReswipeError('RSW_ENGINE_AMOUNT_INVALID', { field: 'amountMinor', amount: '0' }); } });
  const answer = await handleTerminalRequest(request('0200', { 2: pan, 3: '000000', 4: '000000001000' }), { link: refused.link, connection: fresh() });
  assert.equal(answer.fields[39], '13');

  const closing = harness();
  closing.closing = true;
  const late = await handleTerminalRequest(request('0200', { 2: pan, 3: '000000', 4: '000000001000' }), { link: closing.link, connection: fresh() });
  assert.equal(late.fields[39], '96');
  assert.deepEqual(closing.calls, []);
});

test('a sale refused because the database stayed busy (nothing sent) answers 96 with a wait of seconds, not the ten minutes of a plain 96', async () => {
  const busy = harness({ authorize: async () => { throw new ReswipeError('RSW_STORE_BUSY', { reason: '40P01: deadlock detected' }); } });
  const answer = await handleTerminalRequest(request('0200', { 2: pan, 3: '000000', 4: '000000001000' }), { link: busy.link, connection: fresh() });
  assert.equal(answer.fields[39], '96');
  assert.equal(answer.fields[44], terminalVerdictText(storeBusyNotSentDiagnosis()));
  assert.notEqual(answer.fields[44], terminalVerdictText(classifyResponseCode('96')), 'the control: a plain 96 tells a longer wait');
});

test('a malformed field is answered by its typed refusal and reaches no use case', async () => {
  const h = harness();
  const noCard = await handleTerminalRequest(request('0200', { 3: '000000', 4: '000000001000' }), { link: h.link, connection: fresh() });
  assert.equal(noCard.fields[39], '14');
  assert.equal(noCard.fields[44], terminalVerdictText(classifyResponseCode('14')), 'a refusal carries the retry verdict of its code');
  const badAmount = await handleTerminalRequest(request('0200', { 2: pan, 3: '000000', 4: 'x' }), { link: h.link, connection: fresh() });
  assert.equal(badAmount.fields[39], '13');
  const badTotals = await handleTerminalRequest(request('0500', { 48: 'nonsense' }), { link: h.link, connection: fresh() });
  assert.equal(badTotals.mti, '0510');
  assert.equal(badTotals.fields[39], '30');
  assert.equal(badTotals.fields[44], undefined, 'a settlement answer carries no retry verdict');
  assert.equal(badTotals.fields[48], 'nonsense', 'the settlement layout echoes DE 48');
  const unknownCode = await handleTerminalRequest(request('0800', { 70: '999' }), { link: h.link, connection: fresh() });
  assert.equal(unknownCode.mti, '0810');
  assert.equal(unknownCode.fields[39], '12');
  assert.equal(unknownCode.fields[70], '999');
  const unrouted = await handleTerminalRequest(request('0600', {}), { link: h.link, connection: fresh() });
  assert.equal(unrouted.mti, '0610');
  assert.equal(unrouted.fields[39], '12');
  const otherCode = await handleTerminalRequest(request('0200', { 2: pan, 3: '400000', 4: '000000001000' }), { link: h.link, connection: fresh() });
  assert.equal(otherCode.fields[39], '40');
  assert.deepEqual(h.calls, []);
});

test('reversals and voids need a connection that signed the terminal on (77); follow-ups need the follow-up use cases (40)', async () => {
  const h = harness();
  const voidRequest = request('0200', { 3: '200000', 4: '000000001000', 37: '000000000042' });
  assert.equal((await handleTerminalRequest(voidRequest, { link: h.link, connection: fresh() })).fields[39], '77');
  assert.equal((await handleTerminalRequest(request('0400', { 3: '000000', 4: '000000001000' }), { link: h.link, connection: fresh() })).fields[39], '77');
  assert.deepEqual(h.calls, []);

  const voided = await handleTerminalRequest(voidRequest, { link: h.link, connection: signedOn() });
  assert.equal(voided.fields[39], '25', 'the refusal of the use case');
  assert.ok((getText(voided, 63) ?? '').length > 0, 'DE 63 says why');
  assert.deepEqual(h.calls, ['find 000000000042', 'followUp void']);
  assert.equal(h.followUps[0]?.originalPaymentId, 'unknown:000000000042');
  assert.equal(h.followUps[0]?.amountMinor, 1_000);

  const without = harness({ followUps: null });
  assert.equal((await handleTerminalRequest(voidRequest, { link: without.link, connection: fresh() })).fields[39], '40', 'the follow-up guard comes before the sign-on guard');
  assert.equal((await handleTerminalRequest(request('0500', { 48: '000000012502003000000001500002' }), { link: without.link, connection: fresh() })).fields[39], '40');
  assert.equal((await handleTerminalRequest(request('0200', { 2: pan, 3: '310000' }), { link: without.link, connection: fresh() })).fields[39], '40');
  assert.deepEqual(without.calls, []);
});

test('a terminal reversal: the use case decides; a refusal says why in DE 63; none named is 25', async () => {
  const h = harness();
  const ok = await handleTerminalRequest(request('0400', { 3: '000000', 4: '000000001000', 39: '98' }), { link: h.link, connection: signedOn() });
  assert.equal(ok.mti, '0410');
  assert.equal(ok.fields[39], '00');
  assert.equal(ok.fields[63], undefined);
  const wrongAmount = await handleTerminalRequest(request('0400', { 3: '000000', 4: '000000000999' }), { link: h.link, connection: signedOn() });
  assert.equal(wrongAmount.fields[39], '64');
  assert.ok((getText(wrongAmount, 63) ?? '').length > 0);
  assert.deepEqual(h.calls, ['reverse 000123 1000', 'reverse 000123 999']);
  const message: IsoMessage = { mti: '0400', fields: { 3: '000000', 41: terminalId } };
  const none = parseTerminalRequest(message, { dialectName: 'iso87-ascii', localDateMmdd: () => '1206' });
  assert.ok(none !== null);
  assert.equal((await handleTerminalRequest(none, { link: h.link, connection: signedOn() })).fields[39], '25');
  assert.equal(h.calls.length, 2, 'nothing is asked when no original is named');
});

test('sign-on: the terminal and the connection are signed on and DE 62 carries the working keys; no master key where MACs are required is 97', async () => {
  const h = harness();
  const connection = fresh();
  const answer = await handleTerminalRequest(request('0800', { 70: '001' }), { link: h.link, connection });
  assert.equal(answer.mti, '0810');
  assert.equal(answer.fields[39], '00');
  assert.deepEqual(answer.fields[62], Buffer.from('working keys'));
  assert.ok(connection.signedOn.has(terminalId));
  assert.equal(h.terminal?.signedOn, true);
  assert.deepEqual(h.events, ['terminal.signed_on']);
  assert.deepEqual(h.seen, [`remember ${terminalId}`], 'sign-on writes last seen itself');

  const off = await handleTerminalRequest(request('0800', { 70: '002' }), { link: h.link, connection });
  assert.equal(off.fields[39], '00');
  assert.equal(connection.signedOn.has(terminalId), false);
  assert.equal(h.terminal?.signedOn, false);

  const noMaster = harness({ issued: { kind: 'no_master_key' } });
  const refused = await handleTerminalRequest(request('0800', { 70: '001' }), { link: noMaster.link, connection: fresh() });
  assert.equal(refused.fields[39], '97');
  assert.equal(refused.fields[62], undefined);
  const optional = harness({ issued: { kind: 'no_master_key' }, macMode: 'optional' });
  assert.equal((await handleTerminalRequest(request('0800', { 70: '001' }), { link: optional.link, connection: fresh() })).fields[39], '00');
  const rotated = harness({ issued: { kind: 'rotated_meanwhile' } });
  assert.equal((await handleTerminalRequest(request('0800', { 70: '003' }), { link: rotated.link, connection: fresh() })).fields[39], '96');

  const unknown = harness();
  unknown.terminal = null;
  const stranger = fresh();
  assert.equal((await handleTerminalRequest(request('0800', { 70: '001' }), { link: unknown.link, connection: stranger })).fields[39], '97');
  assert.equal(stranger.signedOn.size, 0);
});

test('echo, balance inquiry, settlement and batch upload', async () => {
  const h = harness();
  const echo = await handleTerminalRequest(request('0800', { 70: '301' }), { link: h.link, connection: fresh() });
  assert.equal(echo.fields[39], '00');
  assert.deepEqual(h.seen, [`note ${terminalId}`]);

  const balance = await handleTerminalRequest(request('0200', { 2: pan, 3: '310000' }), { link: h.link, connection: fresh() });
  assert.equal(balance.fields[39], '00');
  assert.equal(balance.fields[54], '1002156C000000005000');

  const settlement = await handleTerminalRequest(request('0500', { 48: '000000012502003000000001500002' }), { link: h.link, connection: fresh() });
  assert.equal(settlement.mti, '0510');
  assert.equal(settlement.fields[39], '95');
  assert.match(getText(settlement, 63) ?? '', /totals differ: journal .*upload the batch \(0320\)/);

  const upload = await handleTerminalRequest(request('0320', { 3: '000000', 4: '000000001000' }), { link: h.link, connection: fresh() });
  assert.equal(upload.mti, '0330');
  assert.equal(upload.fields[39], '00');
  assert.deepEqual(h.calls, ['balance', 'settle 000003', 'upload 000123'], 'a 0500 without DE 60.2 settles the terminal current batch');
});
