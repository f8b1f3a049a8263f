// Goal: every message the terminal link takes is read into the typed request its route names, with
// its fields, and every field the contract refuses becomes a typed refusal with the contract's DE 39.
// Method: the parser alone (no sockets, no use cases) over hand-built messages: one row per route of
// the routing table, then the unrouted and malformed rows of docs/terminal-link.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IsoFieldValue, IsoMessage } from '../../../src/core/iso8583/index.ts';
import { parseTerminalRequest, type TerminalParseContext, type TerminalRequest } from '../../../src/adapters/terminal-link/parse-terminal-request.ts';
import { routeOf, terminalRoutes } from '../../../src/adapters/terminal-link/terminal-routes.ts';

const iso87: TerminalParseContext = { dialectName: 'iso87-ascii', localDateMmdd: () => '1206' };
const cups: TerminalParseContext = { dialectName: 'cups-pos', localDateMmdd: () => '1206' };
const pan = '6222020000000000018';

function message(mti: string, fields: Record<number, IsoFieldValue>): IsoMessage {
  return { mti, fields: { 7: '1206101500', 11: '000123', 41: 'TERM0001', 42: '898110053110001', 49: '156', ...fields } };
}

function parse(mti: string, fields: Record<number, IsoFieldValue>, context = iso87): TerminalRequest {
  const parsed = parseTerminalRequest(message(mti, fields), context);
  assert.ok(parsed !== null, `${mti} is a request`);
  return parsed;
}

/** One message per route of the table, with the fields its kind needs. */
const routeRows: Array<{ mti: string; fields: Record<number, IsoFieldValue>; kind: TerminalRequest['kind'] }> = [
  { mti: '0200', fields: { 2: pan, 3: '000000', 4: '000000001000' }, kind: 'sale' },
  { mti: '0200', fields: { 2: pan, 3: '000000', 4: '000000001000', 25: '06', 37: '000000000042' }, kind: 'completion' },
  { mti: '0200', fields: { 3: '200000', 4: '000000001000', 37: '000000000042' }, kind: 'void' },
  { mti: '0200', fields: { 3: '200000', 4: '000000001000', 25: '06', 37: '000000000042' }, kind: 'completion_void' },
  { mti: '0200', fields: { 2: pan, 3: '310000' }, kind: 'balance' },
  { mti: '0100', fields: { 2: pan, 3: '030000', 4: '000000001000' }, kind: 'preauth' },
  { mti: '0100', fields: { 3: '200000', 4: '000000001000', 25: '06', 37: '000000000042' }, kind: 'preauth_cancel' },
  { mti: '0220', fields: { 3: '200000', 4: '000000000500', 37: '000000000042' }, kind: 'refund' },
  { mti: '0221', fields: { 3: '200000', 4: '000000000500', 37: '000000000042' }, kind: 'refund' },
  { mti: '0500', fields: { 48: '000000012502003000000001500002' }, kind: 'settlement' },
  { mti: '0320', fields: { 3: '000000', 4: '000000001000' }, kind: 'batch_upload' },
  { mti: '0400', fields: { 3: '000000', 4: '000000001000' }, kind: 'terminal_reversal' },
  { mti: '0401', fields: { 3: '000000', 4: '000000001000' }, kind: 'terminal_reversal' },
  { mti: '0800', fields: { 70: '001' }, kind: 'sign_on' },
  { mti: '0800', fields: { 70: '003' }, kind: 'sign_on' },
  { mti: '0800', fields: { 70: '004' }, kind: 'sign_on' },
  { mti: '0800', fields: { 70: '002' }, kind: 'sign_off' },
  { mti: '0800', fields: { 70: '301' }, kind: 'echo' },
];

test('every route of the table is reached by its row, and every row parses into its kind', () => {
  const reached = new Set<number>();
  for (const row of routeRows) {
    const parsed = parse(row.mti, row.fields);
    assert.equal(parsed.kind, row.kind, `${row.mti} ${String(row.fields[3] ?? '')} ${String(row.fields[25] ?? '')}`);
    assert.ok(parsed.route !== null);
    reached.add(terminalRoutes.indexOf(parsed.route));
    assert.equal(parsed.responseMti, `${row.mti.slice(0, 2)}${String(Number(row.mti[2]) + 1)}0`, 'a repeat (xx1) is answered as its original');
    assert.equal(parsed.terminalId, 'TERM0001');
  }
  assert.deepEqual([...reached].sort((a, b) => a - b), terminalRoutes.map((_, index) => index), 'no route is left without a row');
});

test('the routing table: guards per route, 40 for a known MTI with another processing code, 12 for any other MTI', () => {
  const route = (mti: string, pc: string, condition = '00') => routeOf(mti, pc, condition);
  assert.deepEqual(route('0200', '000000'), terminalRoutes[1]);
  for (const [mti, pc, condition] of [['0200', '200000', '00'], ['0200', '200000', '06'], ['0100', '200000', '06'], ['0400', '000000', '00']] as const) {
    const found = route(mti, pc, condition);
    assert.ok(!('unrouted' in found) && found.needsSignOn, `${mti} ${pc} needs a signed-on connection`);
  }
  const sale = route('0200', '000000');
  assert.ok(!('unrouted' in sale) && !sale.needsSignOn && !sale.needsFollowUps);
  assert.deepEqual(route('0200', '400000'), { unrouted: '40' });
  assert.deepEqual(route('0100', '000000'), { unrouted: '40' });
  assert.deepEqual(route('0220', '000000'), { unrouted: '40' });
  assert.deepEqual(route('0600', '000000'), { unrouted: '12' });
  assert.deepEqual(route('0420', '000000'), { unrouted: '12' });
});

test('a response MTI or a malformed MTI is owed no answer: null', () => {
  assert.equal(parseTerminalRequest(message('0210', { 3: '000000' }), iso87), null);
  assert.equal(parseTerminalRequest(message('02x0', { 3: '000000' }), iso87), null);
});

test('a sale carries its typed fields: amount, currency, the retransmission key, the card (PAN, expiry, entry mode, CVV2, track 2, PIN block, ICC)', () => {
  const pinBlock = Buffer.from('3a5f9c0e71b2d448', 'hex');
  const parsed = parse('0200', { 2: pan, 3: '000000', 4: '000000012345', 14: '2912', 22: '051', 35: `${pan}=29122011234567`, 48: 'X=1;CVV2=123', 52: pinBlock, 55: Buffer.from('9f0206000000012345', 'hex') });
  assert.equal(parsed.kind, 'sale');
  if (parsed.kind !== 'sale') return;
  assert.equal(parsed.amountMinor, 12_345);
  assert.equal(parsed.amountText, '000000012345');
  assert.equal(parsed.currencyNumeric, '156');
  assert.equal(parsed.stan, '000123');
  assert.equal(parsed.transmittedAt, '1206101500');
  assert.equal(parsed.card.pan, pan);
  assert.equal(parsed.card.expiry, '2912');
  assert.equal(parsed.card.entryMode, 'chip');
  assert.equal(parsed.card.cvv, '123');
  assert.equal(parsed.card.track2, `${pan}=29122011234567`);
  assert.deepEqual(parsed.card.pinBlock, pinBlock);
  assert.ok(parsed.card.iccData instanceof Uint8Array);

  const preauth = parse('0100', { 35: `${pan}D29122011234567`, 3: '030000', 4: '000000000100' });
  assert.equal(preauth.kind, 'preauth');
  if (preauth.kind === 'preauth') assert.equal(preauth.card.pan, pan, 'the PAN is read from track 2 when DE 2 is absent');
});

test('without DE 7 a request is keyed by its local DE 13 + 12, else by the gateway local date (asked only then)', () => {
  let asked = 0;
  const counting: TerminalParseContext = { dialectName: 'cups-pos', localDateMmdd: () => (asked += 1, '0101') };
  const withLocal = parseTerminalRequest({ mti: '0200', fields: { 2: pan, 3: '000000', 4: '000000000100', 11: '000001', 12: '101500', 13: '1205', 41: 'T1' } }, counting);
  assert.ok(withLocal !== null && withLocal.kind === 'sale');
  if (withLocal.kind === 'sale') assert.equal(withLocal.transmittedAt, '1205101500');
  assert.equal(asked, 0);
  const bare = parseTerminalRequest({ mti: '0200', fields: { 2: pan, 3: '000000', 4: '000000000100', 11: '000001', 41: 'T1' } }, counting);
  assert.ok(bare !== null && bare.kind === 'sale');
  if (bare.kind === 'sale') assert.equal(bare.transmittedAt, '0101000000');
  assert.equal(asked, 1);
});

test('malformed fields become typed refusals with the DE 39 of the contract and the field concerned', () => {
  const rows: Array<{ name: string; mti: string; fields: Record<number, IsoFieldValue>; code: string; field: number | null; layout: string; context?: TerminalParseContext }> = [
    { name: 'sale without a card number', mti: '0200', fields: { 3: '000000', 4: '000000001000' }, code: '14', field: 2, layout: 'standard' },
    { name: 'sale with a short PAN', mti: '0200', fields: { 2: '12345', 3: '000000', 4: '000000001000' }, code: '14', field: 2, layout: 'standard' },
    { name: 'sale with letters in DE 4', mti: '0200', fields: { 2: pan, 3: '000000', 4: '00000000A000' }, code: '13', field: 4, layout: 'standard' },
    { name: 'sale of zero', mti: '0200', fields: { 2: pan, 3: '000000', 4: '000000000000' }, code: '13', field: 4, layout: 'standard' },
    { name: 'pre-authorization without DE 4', mti: '0100', fields: { 2: pan, 3: '030000' }, code: '13', field: 4, layout: 'standard' },
    { name: 'void without DE 4', mti: '0200', fields: { 3: '200000', 37: '000000000042' }, code: '13', field: 4, layout: 'standard' },
    { name: 'refund of zero', mti: '0220', fields: { 3: '200000', 4: '000000000000' }, code: '13', field: 4, layout: 'standard' },
    { name: 'balance inquiry without a card', mti: '0200', fields: { 3: '310000' }, code: '14', field: 2, layout: 'standard' },
    { name: 'settlement with unreadable totals', mti: '0500', fields: { 48: '12345' }, code: '30', field: 48, layout: 'settlement' },
    { name: 'settlement without totals', mti: '0500', fields: {}, code: '30', field: 48, layout: 'settlement' },
    { name: 'network management with an unknown code', mti: '0800', fields: { 70: '999' }, code: '12', field: 70, layout: 'network' },
    { name: 'network management without a code', mti: '0800', fields: {}, code: '12', field: 70, layout: 'network' },
    { name: 'cups-pos network management reads DE 60.3, not DE 70', mti: '0800', fields: { 70: '001' }, code: '12', field: 60, layout: 'network', context: cups },
    { name: 'an unknown processing code on a sale MTI', mti: '0200', fields: { 2: pan, 3: '400000', 4: '000000001000' }, code: '40', field: null, layout: 'standard' },
    { name: 'an MTI the link does not take', mti: '0600', fields: {}, code: '12', field: null, layout: 'standard' },
  ];
  for (const row of rows) {
    const parsed = parse(row.mti, row.fields, row.context);
    assert.equal(parsed.kind, 'refused', row.name);
    if (parsed.kind !== 'refused') continue;
    assert.equal(parsed.responseCode, row.code, row.name);
    assert.equal(parsed.field, row.field, row.name);
    assert.equal(parsed.layout, row.layout, row.name);
    assert.ok(!parsed.reason.includes(pan), 'a reason never quotes card data');
  }
});

test('cups-pos sign-on: DE 60.3 is the network code and picks the key set (004 asks for a data key)', () => {
  const withData = parse('0800', { 60: { '1': '00', '2': '000001', '3': '004' } }, cups);
  assert.ok(withData.kind === 'sign_on' && withData.keySet === '004' && withData.networkCode === '004');
  const plain = parse('0800', { 60: { '1': '00', '2': '000001', '3': '001' } }, cups);
  assert.ok(plain.kind === 'sign_on' && plain.keySet === '003');
  const iso = parse('0800', { 70: '004' });
  assert.ok(iso.kind === 'sign_on' && iso.keySet === '003', 'iso87-ascii always takes key set 003');
});

test('follow-ups name their original by DE 90, cups-pos DE 61 or DE 37; card data presented again is kept', () => {
  const byDe90 = parse('0200', { 3: '200000', 4: '000000001000', 90: '020000012312061015000000000000000000000000' });
  assert.ok(byDe90.kind === 'void');
  if (byDe90.kind === 'void') {
    assert.deepEqual(byDe90.original, { stan: '000123', transmittedAt: '1206101500' });
    assert.equal(byDe90.card, null);
  }
  const byDe61 = parse('0200', { 2: pan, 3: '200000', 4: '000000001000', 61: { '1': '000001', '2': '000045', '3': '1205' } }, cups);
  assert.ok(byDe61.kind === 'void');
  if (byDe61.kind === 'void') {
    assert.deepEqual(byDe61.original, { stan: '000045', dateMmdd: '1205' });
    assert.deepEqual(byDe61.card, { pan });
  }
  const named = parse('0220', { 3: '200000', 4: '000000000500' });
  assert.ok(named.kind === 'refund' && named.original === null, 'a refund naming nothing reaches the use case, which answers not found');
});

test('a terminal reversal: DE 90, DE 61 or its own DE 11 + 7; DE 4 and DE 39 typed; none named is null', () => {
  const own = parse('0400', { 3: '000000', 4: '000000001000', 39: '98' });
  assert.ok(own.kind === 'terminal_reversal');
  if (own.kind === 'terminal_reversal') {
    assert.deepEqual(own.original, { stan: '000123', transmittedAt: '1206101500' });
    assert.equal(own.amountMinor, 1_000);
    assert.equal(own.reasonCode, '98');
  }
  const bare = parseTerminalRequest({ mti: '0400', fields: { 3: '000000', 41: 'T1', 4: 'bad' } }, iso87);
  assert.ok(bare !== null && bare.kind === 'terminal_reversal');
  if (bare.kind === 'terminal_reversal') {
    assert.equal(bare.original, null);
    assert.equal(bare.amountMinor, null, 'an unreadable DE 4 is absent: the reversal rules refuse it');
    assert.equal(bare.reasonCode, '06');
  }
});

test('settlement and batch upload: totals, batch number from DE 60.2', () => {
  const settlement = parse('0500', { 48: '000000012502003000000001500002', 60: { '1': '00', '2': '000007' } }, cups);
  assert.ok(settlement.kind === 'settlement');
  if (settlement.kind === 'settlement') {
    assert.deepEqual(settlement.totals, { debitMinor: 12_502, debitCount: 3, creditMinor: 1_500, creditCount: 2 });
    assert.equal(settlement.batchNo, '000007');
  }
  const upload = parse('0320', { 3: '000000', 4: '000000001000' });
  assert.ok(upload.kind === 'batch_upload' && upload.batchNo === '000000' && upload.amountMinor === 1_000 && upload.stan === '000123');
});
