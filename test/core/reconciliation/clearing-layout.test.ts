// Goal: a channel's clearing-file layout is data, validated on load, and every line is read by it
// exactly or refused with its line number and field. Method: table tests over the default CSV, a
// pipe-delimited GBK-style bank layout and a fixed-width layout, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { defaultClearingLayout, validateClearingLayout } from '../../../src/core/reconciliation/clearing-layout.ts';
import { validateChannelFormat } from '../../../src/core/reconciliation/channel-format.ts';
import { parseClearingLine, splitDelimited } from '../../../src/core/reconciliation/parse-clearing-line.ts';

function refusedWith(run: () => unknown, code: string, field?: string): void {
  try {
    run();
  } catch (error) {
    assert.ok(isReswipeError(error), String(error));
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field, error.message);
    return;
  }
  assert.fail('expected a refusal');
}

test('the default CSV layout reads every documented column', () => {
  const line = parseClearingLine(defaultClearingLayout, '2026-06-18,10:32:05,T0000001,000123,0618023205,000000000123,A1B2C3,sale,settled,12345,37,CNY,M1,622202******0018', 5);
  assert.deepEqual(line, {
    lineNo: 5,
    rrn: '000000000123',
    stan: '000123',
    terminalId: 'T0000001',
    transmittedAt: '0618023205',
    date: '2026-06-18',
    time: '10:32:05',
    authCode: 'A1B2C3',
    kind: 'sale',
    status: 'settled',
    amountMinor: 12345,
    feeMinor: 37,
    currency: 'CNY',
    merchantId: 'M1',
    cardMasked: '622202******0018',
  });
});

test('blank lines and ignored prefixes are not transactions; empty optional columns are null', () => {
  assert.equal(parseClearingLine(defaultClearingLayout, '', 2), null);
  assert.equal(parseClearingLine(defaultClearingLayout, '# total 3 lines', 9), null);
  const line = parseClearingLine(defaultClearingLayout, '2026-06-18,,,,,000000000124,,refund,settled,500,,,,', 3);
  assert.equal(line?.kind, 'refund');
  assert.equal(line?.stan, null);
  assert.equal(line?.feeMinor, null);
  assert.equal(line?.cardMasked, null);
});

test('a full card number in a bank file is masked at once, never kept', () => {
  const line = parseClearingLine(defaultClearingLayout, '2026-06-18,,,,,000000000125,,sale,settled,100,,,,6222021234567890018', 3);
  assert.match(line?.cardMasked ?? '', /^622202\*+0018$/);
  assert.doesNotMatch(JSON.stringify(line), /6222021234567890018/);
});

test('quoted CSV values follow RFC 4180', () => {
  assert.deepEqual(splitDelimited('a,"b,c","d""e",', ',', '"', 1), ['a', 'b,c', 'd"e', '']);
  refusedWith(() => splitDelimited('a,"b', ',', '"', 7), 'RSW_RECON_LINE_INVALID', 'line');
});

test('a pipe-delimited bank layout with yuan amounts and its own codes', () => {
  const layout = validateClearingLayout({
    name: 'bank-b-pipe',
    type: 'delimited',
    delimiter: '|',
    encoding: 'gbk',
    skipLines: 2,
    amountUnit: 'yuan',
    dateFormat: 'YYYYMMDD',
    kindCodes: { '00': 'sale', '20': 'refund' },
    statusCodes: { '1': 'settled', '2': 'reversed' },
    fields: [
      { name: 'date', column: 0 },
      { name: 'rrn', column: 1 },
      { name: 'kind', column: 2 },
      { name: 'status', column: 3 },
      { name: 'amount', column: 4 },
      { name: 'fee', column: 5 },
    ],
  });
  const line = parseClearingLine(layout, '20260618|000000000126|20|2|1,234.50|0.37', 3);
  assert.equal(line?.kind, 'refund');
  assert.equal(line?.status, 'reversed');
  assert.equal(line?.amountMinor, 123_450);
  assert.equal(line?.feeMinor, 37);
  assert.equal(line?.date, '2026-06-18');
  refusedWith(() => parseClearingLine(layout, '20260618|000000000126|99|1|1.00|0', 4), 'RSW_RECON_LINE_INVALID', 'kind');
  refusedWith(() => parseClearingLine(layout, '20260618|000000000126|00|1|1.001|0', 4), 'RSW_RECON_LINE_INVALID', 'amount');
  refusedWith(() => parseClearingLine(layout, '20260618|000000000126', 4), 'RSW_RECON_LINE_INVALID', 'kind');
});

test('a fixed-width layout reads byte ranges, zero-padded fen and MMDD dates', () => {
  const layout = validateClearingLayout({
    name: 'switch-fixed',
    type: 'fixed',
    dateFormat: 'MMDD',
    fields: [
      { name: 'date', start: 0, length: 4 },
      { name: 'terminalId', start: 4, length: 8 },
      { name: 'stan', start: 12, length: 6 },
      { name: 'transmittedAt', start: 18, length: 10 },
      { name: 'amount', start: 28, length: 12 },
      { name: 'authCode', start: 40, length: 6 },
    ],
  });
  const line = parseClearingLine(layout, '0618T0000001000123061802320500000001234 A1B2C', 1);
  assert.equal(line?.date, '0618');
  assert.equal(line?.terminalId, 'T0000001');
  assert.equal(line?.stan, '000123');
  assert.equal(line?.transmittedAt, '0618023205');
  assert.equal(line?.amountMinor, 1234);
  assert.equal(line?.authCode, 'A1B2C');
  refusedWith(() => parseClearingLine(layout, '0618T0000001', 2), 'RSW_RECON_LINE_INVALID', 'amount');
});

test('layout refusals name the key', () => {
  const base = { name: 'x', type: 'delimited', delimiter: ',', fields: [{ name: 'amount', column: 0 }, { name: 'rrn', column: 1 }] };
  refusedWith(() => validateClearingLayout({ ...base, extra: 1 }), 'RSW_RECON_LAYOUT_INVALID', 'extra');
  refusedWith(() => validateClearingLayout({ ...base, type: 'xml' }), 'RSW_RECON_LAYOUT_INVALID', 'type');
  refusedWith(() => validateClearingLayout({ ...base, fields: [{ name: 'amount', column: 0 }] }), 'RSW_RECON_LAYOUT_INVALID', 'fields');
  refusedWith(() => validateClearingLayout({ ...base, fields: [{ name: 'rrn', column: 0 }, { name: 'stan', column: 1 }] }), 'RSW_RECON_LAYOUT_INVALID', 'fields');
  refusedWith(() => validateClearingLayout({ ...base, fields: [{ name: 'amount', column: 0 }, { name: 'amount', column: 1 }] }), 'RSW_RECON_LAYOUT_INVALID', 'fields[1].name');
  refusedWith(() => validateClearingLayout({ ...base, fields: [{ name: 'amount', column: 0 }, { name: 'pan', column: 1 }] }), 'RSW_RECON_LAYOUT_INVALID', 'fields[1].name');
  refusedWith(() => validateClearingLayout({ ...base, kindCodes: { '01': 'cashback' } }), 'RSW_RECON_LAYOUT_INVALID', 'kindCodes.01');
  refusedWith(() => validateClearingLayout({ name: 'f', type: 'fixed', fields: [{ name: 'amount', start: 0, length: 10 }, { name: 'rrn', start: 5, length: 12 }] }), 'RSW_RECON_LAYOUT_INVALID', 'fields');
  refusedWith(() => validateChannelFormat({ cutoff: '24:00' }), 'RSW_RECON_LAYOUT_INVALID', 'cutoff');
  refusedWith(() => validateChannelFormat({ tolerance: { amountToleranceMinor: -1 } }), 'RSW_RECON_LAYOUT_INVALID', 'tolerance.amountToleranceMinor');
  refusedWith(() => validateChannelFormat({ tolerance: { percent: 1 } }), 'RSW_RECON_LAYOUT_INVALID', 'tolerance.percent');
  assert.equal(validateChannelFormat({}).layout.name, 'reswipe-csv');
  assert.equal(validateChannelFormat({ tolerance: { feeToleranceMinor: 1 } }).tolerance.feeToleranceMinor, 1);
});
