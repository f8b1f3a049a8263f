// Goal: the simulator's clearing file lists exactly what its books approved in the day's window, in
// reswipe's own default CSV (so the gateway reads it back line for line), and each fault changes
// exactly the lines it reports. Method: books built from answered and reversed events, the file
// written for a day and parsed back with the gateway's parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IssuerBook, type MoneyMove } from '../../../src/sim/issuer/issuer-book.ts';
import { validateClearingFaults, writeClearingFile } from '../../../src/sim/issuer/clearing-file.ts';
import { defaultClearingLayout } from '../../../src/core/reconciliation/clearing-layout.ts';
import { parseClearingLine } from '../../../src/core/reconciliation/parse-clearing-line.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);
const response = { mti: '0210', fields: { 39: '00' } };

function charge(book: IssuerBook, n: number, atMs: number, kind: MoneyMove['kind'] = 'charge'): string {
  const key = `00000000001|T0000001|${String(n).padStart(6, '0')}|0618020000`;
  const money: MoneyMove = { kind, cardId: 'icbc-debit-ok', panMasked: '622202*********0018', amountMinor: 1000 * n, currency: 'CNY', rrn: String(n).padStart(12, '0'), authCode: `A0000${n}`, refundOfKey: null };
  book.apply({ type: 'answered', key, digest: `d${n}`, atMs, response, money });
  return key;
}

function parse(csv: string) {
  return csv.trimEnd().split('\r\n').slice(1).map((text, i) => parseClearingLine(defaultClearingLayout, text, i + 2));
}

test("the day's file lists the window's charges and refunds, reversed ones as reversed, and nothing else", () => {
  const book = new IssuerBook();
  charge(book, 1, at('2026-06-17T22:59:59')); // the day before (cut-off 23:00)
  charge(book, 2, at('2026-06-17T23:00:00'));
  const reversed = charge(book, 3, at('2026-06-18T10:00:00'));
  book.apply({ type: 'reversed', key: 'rev|3', digest: 'r3', atMs: at('2026-06-18T10:00:40'), response, originalKey: reversed, unseenOriginalKey: null });
  charge(book, 4, at('2026-06-18T11:00:00'), 'refund');
  charge(book, 5, at('2026-06-18T12:00:00'), 'hold');
  charge(book, 6, at('2026-06-18T23:00:00')); // the next day
  const file = writeClearingFile(book, { businessDate: '2026-06-18', timeZone: 'Asia/Shanghai', cutoff: '23:00', faults: {} });
  const lines = parse(file.csv);
  assert.equal(file.lines, 3);
  assert.deepEqual(lines.map((l) => [l?.rrn, l?.kind, l?.status, l?.amountMinor, l?.stan, l?.terminalId, l?.transmittedAt]), [
    ['000000000002', 'sale', 'settled', 2000, '000002', 'T0000001', '0618020000'],
    ['000000000003', 'sale', 'reversed', 3000, '000003', 'T0000001', '0618020000'],
    ['000000000004', 'refund', 'settled', 4000, '000004', 'T0000001', '0618020000'],
  ]);
  assert.deepEqual(file.applied, []);
});

test('each fault changes the lines it reports, and only those', () => {
  const book = new IssuerBook();
  const reversed = charge(book, 1, at('2026-06-18T09:00:00'));
  book.apply({ type: 'reversed', key: 'rev|1', digest: 'r1', atMs: at('2026-06-18T09:00:40'), response, originalKey: reversed, unseenOriginalKey: null });
  for (let n = 2; n <= 7; n += 1) charge(book, n, at(`2026-06-18T1${n}:00:00`));
  const faults = validateClearingFaults({ missingSale: '1', extraSale: '2', amountDiffers: '1', feeDiffers: '1', reversalUnseen: '1', reversedUpstream: '1' });
  const file = writeClearingFile(book, { businessDate: '2026-06-18', timeZone: 'Asia/Shanghai', cutoff: '23:00', faults });
  const byRrn = new Map(parse(file.csv).map((l) => [l?.rrn, l]));
  const rrnOf = (fault: string) => file.applied.filter((a) => a.fault === fault).map((a) => a.rrn);
  assert.deepEqual(rrnOf('reversalUnseen'), ['000000000001']);
  assert.equal(byRrn.get('000000000001')?.status, 'settled');
  assert.deepEqual(rrnOf('reversedUpstream'), ['000000000002']);
  assert.equal(byRrn.get('000000000002')?.status, 'reversed');
  assert.deepEqual(rrnOf('amountDiffers'), ['000000000003']);
  assert.equal(byRrn.get('000000000003')?.amountMinor, 3100);
  assert.deepEqual(rrnOf('feeDiffers'), ['000000000004']);
  assert.equal(byRrn.get('000000000004')?.feeMinor, 49, '1.23 % of 40.00');
  assert.deepEqual(rrnOf('missingSale'), ['000000000005']);
  assert.equal(byRrn.has('000000000005'), false);
  assert.equal(rrnOf('extraSale').length, 2);
  for (const rrn of rrnOf('extraSale')) assert.equal(byRrn.get(rrn)?.terminalId, 'SIMXTRA1');
  assert.equal(byRrn.get('000000000006')?.amountMinor, 6000, 'untouched');
  assert.equal(byRrn.get('000000000006')?.feeMinor, null);
  assert.equal(file.lines, 6 + 2);
  assert.doesNotMatch(file.csv, /6222020000000000018/);
});

test('fault counts are bounded', () => {
  assert.throws(() => validateClearingFaults({ missingSale: '101' }), (error: unknown) => isReswipeError(error, 'RSW_SIM_FAULTS_INVALID'));
  assert.throws(() => validateClearingFaults({ extraSale: '-1' }), (error: unknown) => isReswipeError(error, 'RSW_SIM_FAULTS_INVALID'));
  assert.deepEqual(validateClearingFaults({ missingSale: null, extraSale: '0' }), { extraSale: 0 });
});
