// Goal: every field kind packs to the exact bytes its definition promises and reads back, and every
// violation fails with its stable code and field path. Method: table tests, one row per case, each
// run through a one-field dialect compiled from a document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDialect, packMessage, unpackMessage, type IsoFieldValue } from '../../../src/core/iso8583/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';

type FieldDoc = Record<string, unknown>;

/** A dialect with ASCII MTI, binary bitmap and the given field as DE 2 (or the given number). */
function dialectWith(field: FieldDoc, de = 2) {
  return compileDialect(
    { name: 'table', messageBytesMax: 8192, mti: { encoding: 'ascii' }, bitmap: { encoding: 'binary', secondary: true }, fields: { [de]: { name: 'field under test', ...field } } },
    'table',
  );
}

/** The bytes of the field alone: the packed message minus MTI (4) and bitmap (8 or 16). */
function fieldHex(field: FieldDoc, value: IsoFieldValue, de = 2): string {
  const packed = packMessage(dialectWith(field, de), { mti: '0200', fields: { [de]: value } });
  return packed.subarray(de > 64 ? 20 : 12).toString('hex');
}

const ascii = (text: string) => Buffer.from(text, 'latin1').toString('hex');

interface Row {
  readonly name: string;
  readonly field: FieldDoc;
  readonly value: IsoFieldValue;
  readonly hex: string;
  /** What unpack gives back when it differs from value (padding, separator). */
  readonly readBack?: IsoFieldValue;
}

const nFixedAscii = { type: 'n', encoding: 'ascii', lengthKind: 'fixed', length: 6 };
const rows: Row[] = [
  { name: 'n fixed ASCII', field: nFixedAscii, value: '000123', hex: ascii('000123') },
  { name: 'n fixed ASCII pads zeros left', field: nFixedAscii, value: '123', hex: ascii('000123'), readBack: '000123' },
  { name: 'an fixed ASCII pads spaces right', field: { type: 'an', encoding: 'ascii', lengthKind: 'fixed', length: 6 }, value: 'AB12', hex: ascii('AB12  '), readBack: 'AB12  ' },
  { name: 'ans fixed ASCII', field: { type: 'ans', encoding: 'ascii', lengthKind: 'fixed', length: 8 }, value: 'T-01/#*!', hex: ascii('T-01/#*!') },
  { name: 'n LL ASCII', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 19, prefix: 'ascii' }, value: '4111111111111111', hex: ascii('164111111111111111') },
  { name: 'ans LLL ASCII', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 999, prefix: 'ascii' }, value: 'CVV2=123', hex: ascii('008CVV2=123') },
  { name: 'ans LLLL ASCII', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLLL', max: 9999, prefix: 'ascii' }, value: 'hi', hex: ascii('0002hi') },
  { name: 'ans LLL UTF-8 counts bytes', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 999, prefix: 'ascii' }, value: '请重试', hex: ascii('009') + Buffer.from('请重试').toString('hex') },
  { name: 'ans LLL GBK counts bytes', field: { type: 'ans', encoding: 'gbk', lengthKind: 'LLL', max: 163, prefix: 'bcd' }, value: '交易成功', hex: '0008bdbbd2d7b3c9b9a6' },
  { name: 'ans LLL UTF-8 printable ASCII (fast path)', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 999, prefix: 'ascii' }, value: 'Approved, keep the slip ~', hex: ascii('025Approved, keep the slip ~') },
  { name: 'ans LLL GBK printable ASCII (fast path)', field: { type: 'ans', encoding: 'gbk', lengthKind: 'LLL', max: 163, prefix: 'bcd' }, value: 'OK 1~', hex: '0005' + ascii('OK 1~') },
  { name: 'ans fixed UTF-8 ASCII pads spaces right', field: { type: 'ans', encoding: 'utf8', lengthKind: 'fixed', length: 6 }, value: 'ok', hex: ascii('ok    '), readBack: 'ok    ' },
  { name: 'ans LLL UTF-8 ASCII then Chinese', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 999, prefix: 'ascii' }, value: 'ok 请', hex: ascii('006ok ') + Buffer.from('请').toString('hex') },
  { name: 'z LL ASCII keeps =', field: { type: 'z', encoding: 'ascii', lengthKind: 'LL', max: 37, prefix: 'ascii' }, value: '4111=2912', hex: ascii('094111=2912') },
  { name: 'ans LLL ASCII with two-digit-changing length', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 999, prefix: 'ascii' }, value: 'x'.repeat(120), hex: ascii('120' + 'x'.repeat(120)) },
  { name: 'z LL ASCII accepts D, writes =', field: { type: 'z', encoding: 'ascii', lengthKind: 'LL', max: 37, prefix: 'ascii' }, value: '4111D2912', hex: ascii('094111=2912'), readBack: '4111=2912' },
  { name: 'n fixed BCD right-aligned, odd', field: { type: 'n', encoding: 'bcd-right', lengthKind: 'fixed', length: 3 }, value: '156', hex: '0156' },
  { name: 'n fixed BCD left-aligned, odd', field: { type: 'n', encoding: 'bcd-left', lengthKind: 'fixed', length: 3 }, value: '051', hex: '0510' },
  { name: 'n fixed BCD pads zeros left', field: { type: 'n', encoding: 'bcd-right', lengthKind: 'fixed', length: 6 }, value: '1', hex: '000001', readBack: '000001' },
  { name: 'n LL BCD left, prefix counts digits', field: { type: 'n', encoding: 'bcd-left', lengthKind: 'LL', max: 19, prefix: 'bcd' }, value: '622202123456789', hex: '156222021234567890' },
  { name: 'n LLL BCD right, 2-byte BCD prefix', field: { type: 'n', encoding: 'bcd-right', lengthKind: 'LLL', max: 322, prefix: 'bcd' }, value: '123', hex: '00030123' },
  { name: 'z LL BCD, = as nibble D', field: { type: 'z', encoding: 'bcd-left', lengthKind: 'LL', max: 37, prefix: 'bcd' }, value: '4111=29121', hex: '1041112912' .replace('41112912', '4111d29121') },
  { name: 'n LL binary prefix', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 99, prefix: 'binary' }, value: '42', hex: '02' + ascii('42') },
  { name: 'ans LLL binary 2-byte prefix', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 999, prefix: 'binary' }, value: 'ok', hex: '0002' + ascii('ok') },
  { name: 'b fixed binary', field: { type: 'b', encoding: 'binary', lengthKind: 'fixed', length: 8 }, value: Buffer.from('0102030405060708', 'hex'), hex: '0102030405060708' },
  { name: 'b LLL binary', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii' }, value: Buffer.from('abcd', 'hex'), hex: ascii('002') + 'abcd' },
  { name: 'b fixed hex', field: { type: 'b', encoding: 'hex', lengthKind: 'fixed', length: 2 }, value: Buffer.from('abcd', 'hex'), hex: ascii('ABCD') },
  { name: 'b LL hex, prefix counts bytes', field: { type: 'b', encoding: 'hex', lengthKind: 'LL', max: 20, prefix: 'ascii' }, value: Buffer.from('0a', 'hex'), hex: ascii('010A') },
  {
    name: 'TLV composite',
    field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } },
    value: { '9F02': '000000012345', '9F26': '1122334455667788' },
    hex: ascii('020') + '9f0206000000012345' + '9f26081122334455667788',
  },
  {
    name: 'TLV composite, long length form',
    field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } },
    value: { DF01: 'AA'.repeat(130) },
    hex: ascii('134') + 'df018182' + 'aa'.repeat(130),
  },
  {
    name: 'positional composite, trailing sub-fields omitted',
    field: { type: 'n', encoding: 'bcd-left', lengthKind: 'LLL', max: 17, prefix: 'bcd', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }, { id: '2', name: 'b', type: 'n', length: 6 }, { id: '3', name: 'c', type: 'n', length: 3 }] } },
    value: { '1': '22', '2': '000001', '3': '003' },
    hex: '0011' + '22000001003' .padEnd(12, '0'),
  },
  {
    name: 'positional composite with a rest sub-field',
    field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 99, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'org', type: 'an', length: 3 }, { id: '2', name: 'text', type: 'ans' }] } },
    value: { '1': 'CUP', '2': 'hello, world' },
    hex: ascii('015CUPhello, world'),
  },
];

test('each field kind packs to the expected bytes and unpacks to the value', () => {
  for (const row of rows) {
    assert.equal(fieldHex(row.field, row.value), row.hex.toLowerCase(), row.name);
    const dialect = dialectWith(row.field);
    const message = unpackMessage(dialect, packMessage(dialect, { mti: '0200', fields: { 2: row.value } }));
    assert.deepEqual(message.fields[2], row.readBack ?? row.value, row.name);
  }
});

test('a field above 64 switches on the secondary bitmap', () => {
  const dialect = dialectWith(nFixedAscii, 70);
  const packed = packMessage(dialect, { mti: '0800', fields: { 70: '000301' } });
  assert.equal(packed.subarray(4, 20).toString('hex'), '80000000000000000400000000000000');
  assert.deepEqual(unpackMessage(dialect, packed).fields, { 70: '000301' });
});

interface ErrorRow {
  readonly name: string;
  readonly field: FieldDoc;
  readonly value: IsoFieldValue;
  readonly code: string;
  readonly path: string;
}

const packErrors: ErrorRow[] = [
  { name: 'letter in n', field: nFixedAscii, value: '12A456', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'too long fixed', field: nFixedAscii, value: '1234567', code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'too long variable', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 5, prefix: 'ascii' }, value: '123456', code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'bytes for text', field: nFixedAscii, value: Buffer.from('00'), code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'text for bytes', field: { type: 'b', encoding: 'binary', lengthKind: 'fixed', length: 8 }, value: '0102030405060708', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'short fixed binary', field: { type: 'b', encoding: 'binary', lengthKind: 'fixed', length: 8 }, value: Buffer.alloc(7), code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'control character in ans', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LL', max: 20, prefix: 'ascii' }, value: 'a\nb', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'non-Latin-1 in ans', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LL', max: 20, prefix: 'ascii' }, value: 'a\u0161', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'letter in z', field: { type: 'z', encoding: 'ascii', lengthKind: 'LL', max: 37, prefix: 'ascii' }, value: '4111X2912', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'non-ASCII in an', field: { type: 'an', encoding: 'ascii', lengthKind: 'LL', max: 20, prefix: 'ascii' }, value: 'é', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'punctuation in an', field: { type: 'an', encoding: 'ascii', lengthKind: 'LL', max: 20, prefix: 'ascii' }, value: 'a-b', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'not GBK', field: { type: 'ans', encoding: 'gbk', lengthKind: 'LLL', max: 99, prefix: 'bcd' }, value: '😀', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'lone surrogate in UTF-8', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 99, prefix: 'ascii' }, value: 'a\ud800', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'control character in UTF-8', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LLL', max: 99, prefix: 'ascii' }, value: 'a\tb', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'DEL in GBK', field: { type: 'ans', encoding: 'gbk', lengthKind: 'LLL', max: 99, prefix: 'bcd' }, value: 'a\x7f', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'UTF-8 ASCII over max', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LL', max: 5, prefix: 'ascii' }, value: 'abcdef', code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'UTF-8 over max in bytes', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LL', max: 5, prefix: 'ascii' }, value: '请重', code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'TLV value not hex', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, value: { '9F02': 'XYZ' }, code: 'RSW_CODEC_BAD_TLV', path: '2.9F02' },
  { name: 'TLV bad tag', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, value: { '9F': '00' }, code: 'RSW_CODEC_BAD_TLV', path: '2.9F' },
  { name: 'TLV over max', field: { type: 'b', encoding: 'binary', lengthKind: 'LL', max: 10, prefix: 'ascii', composite: { kind: 'tlv' } }, value: { '9F02': '000000012345', '9A': '261125' }, code: 'RSW_CODEC_BAD_LENGTH', path: '2.9A' },
  { name: 'bytes for TLV', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, value: Buffer.alloc(2), code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'positional gap', field: { type: 'n', encoding: 'ascii', lengthKind: 'LLL', max: 17, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }, { id: '2', name: 'b', type: 'n', length: 6 }] } }, value: { '2': '000001' }, code: 'RSW_CODEC_BAD_SUBFIELD', path: '2.2' },
  { name: 'positional wrong length', field: { type: 'n', encoding: 'ascii', lengthKind: 'LLL', max: 17, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }] } }, value: { '1': '1' }, code: 'RSW_CODEC_BAD_SUBFIELD', path: '2.1' },
  { name: 'positional fixed field missing a sub-field', field: { type: 'n', encoding: 'ascii', lengthKind: 'fixed', length: 8, composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }, { id: '2', name: 'b', type: 'n', length: 6 }] } }, value: { '1': '22' }, code: 'RSW_CODEC_BAD_SUBFIELD', path: '2' },
  { name: 'positional empty rest sub-field', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 99, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'an', length: 3 }, { id: '2', name: 'rest', type: 'ans' }] } }, value: { '1': 'CUP', '2': '' }, code: 'RSW_CODEC_BAD_SUBFIELD', path: '2.2' },
  { name: 'positional unknown sub-field', field: { type: 'n', encoding: 'ascii', lengthKind: 'LLL', max: 17, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }] } }, value: { '1': '11', '9': '1' }, code: 'RSW_CODEC_BAD_SUBFIELD', path: '2.9' },
];

function assertCodecError(run: () => unknown, code: string, path: string, name: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isReswipeError(error), `${name}: not a ReswipeError: ${String(error)}`);
    assert.equal(error.code, code, name);
    assert.equal(error.field, path, name);
    return true;
  }, name);
}

test('pack rejects wrong values with a stable code and the field path', () => {
  for (const row of packErrors) {
    assertCodecError(() => packMessage(dialectWith(row.field), { mti: '0200', fields: { 2: row.value } }), row.code, row.path, row.name);
  }
});

interface UnpackErrorRow {
  readonly name: string;
  readonly field: FieldDoc;
  /** The bytes after MTI and primary bitmap (bit 2 set). */
  readonly hex: string;
  readonly code: string;
  readonly path: string;
}

const unpackErrors: UnpackErrorRow[] = [
  { name: 'truncated fixed', field: nFixedAscii, hex: ascii('12345'), code: 'RSW_CODEC_TRUNCATED', path: '2' },
  { name: 'truncated prefix', field: { type: 'n', encoding: 'ascii', lengthKind: 'LLL', max: 99, prefix: 'ascii' }, hex: ascii('0'), code: 'RSW_CODEC_TRUNCATED', path: '2' },
  { name: 'truncated LL prefix', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 99, prefix: 'ascii' }, hex: ascii('0'), code: 'RSW_CODEC_TRUNCATED', path: '2' },
  { name: 'LL prefix below 0', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 99, prefix: 'ascii' }, hex: ascii('/1') + ascii('1'), code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'truncated LL value', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 99, prefix: 'ascii' }, hex: ascii('051234'), code: 'RSW_CODEC_TRUNCATED', path: '2' },
  { name: 'byte above 127 in ans', field: { type: 'ans', encoding: 'ascii', lengthKind: 'LL', max: 9, prefix: 'ascii' }, hex: ascii('02') + '61e9', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'letter in z', field: { type: 'z', encoding: 'ascii', lengthKind: 'LL', max: 37, prefix: 'ascii' }, hex: ascii('034A1'), code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'prefix not digits', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 99, prefix: 'ascii' }, hex: ascii('1A'), code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'prefix over max', field: { type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 5, prefix: 'ascii' }, hex: ascii('06123456'), code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'BCD prefix nibble over 9', field: { type: 'n', encoding: 'bcd-left', lengthKind: 'LL', max: 19, prefix: 'bcd' }, hex: '1a', code: 'RSW_CODEC_BAD_LENGTH', path: '2' },
  { name: 'BCD digit nibble over 9', field: { type: 'n', encoding: 'bcd-right', lengthKind: 'fixed', length: 4 }, hex: '12a4', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'BCD pad nibble not 0', field: { type: 'n', encoding: 'bcd-left', lengthKind: 'fixed', length: 3 }, hex: '0515', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'trailing bytes', field: nFixedAscii, hex: ascii('1234567'), code: 'RSW_CODEC_TRAILING_BYTES', path: '2' },
  { name: 'letter in n', field: nFixedAscii, hex: ascii('12345X'), code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'control character in UTF-8', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LL', max: 9, prefix: 'ascii' }, hex: ascii('03') + '610a62', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'invalid UTF-8 after control character', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LL', max: 9, prefix: 'ascii' }, hex: ascii('03') + '0ac328', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'invalid UTF-8', field: { type: 'ans', encoding: 'utf8', lengthKind: 'LL', max: 9, prefix: 'ascii' }, hex: ascii('02') + 'c328', code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'hex field not hex', field: { type: 'b', encoding: 'hex', lengthKind: 'fixed', length: 1 }, hex: ascii('0G'), code: 'RSW_CODEC_BAD_VALUE', path: '2' },
  { name: 'TLV value runs past the field', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, hex: ascii('004') + '9f020600', code: 'RSW_CODEC_BAD_TLV', path: '2.9F02' },
  { name: 'TLV tag twice', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, hex: ascii('006') + '9a01019a0102', code: 'RSW_CODEC_BAD_TLV', path: '2.9A' },
  { name: 'TLV tag cut', field: { type: 'b', encoding: 'binary', lengthKind: 'LLL', max: 255, prefix: 'ascii', composite: { kind: 'tlv' } }, hex: ascii('001') + '9f', code: 'RSW_CODEC_BAD_TLV', path: '2' },
  { name: 'positional ends inside a sub-field', field: { type: 'n', encoding: 'ascii', lengthKind: 'LLL', max: 17, prefix: 'ascii', composite: { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 2 }, { id: '2', name: 'b', type: 'n', length: 6 }] } }, hex: ascii('0042200'), code: 'RSW_CODEC_BAD_SUBFIELD', path: '2.2' },
];

test('unpack rejects malformed bytes with a stable code and the field path', () => {
  for (const row of unpackErrors) {
    const bytes = Buffer.concat([Buffer.from('0200', 'latin1'), Buffer.from('4000000000000000', 'hex'), Buffer.from(row.hex, 'hex')]);
    assertCodecError(() => unpackMessage(dialectWith(row.field), bytes), row.code, row.path, row.name);
  }
});

test('message-level errors: bad MTI, bitmap naming an undefined field, secondary bitmap the dialect lacks, field not in dialect', () => {
  const dialect = dialectWith(nFixedAscii);
  assertCodecError(() => packMessage(dialect, { mti: '02A0', fields: { 2: '000001' } }), 'RSW_CODEC_BAD_MTI', 'mti', 'pack MTI');
  assertCodecError(() => packMessage(dialect, { mti: '0200', fields: { 3: '000001' } }), 'RSW_CODEC_FIELD_NOT_IN_DIALECT', '3', 'pack field not in dialect');
  assertCodecError(() => packMessage(dialect, { mti: '0200', fields: { 1: '000001' } }), 'RSW_CODEC_FIELD_NOT_IN_DIALECT', '1', 'pack DE 1');
  const header = Buffer.from('0200', 'latin1');
  assertCodecError(() => unpackMessage(dialect, Buffer.concat([Buffer.from('02X0', 'latin1'), Buffer.alloc(8)])), 'RSW_CODEC_BAD_MTI', 'mti', 'unpack MTI');
  assertCodecError(() => unpackMessage(dialect, Buffer.concat([header, Buffer.from('2000000000000000', 'hex'), Buffer.from('000001')])), 'RSW_CODEC_FIELD_NOT_IN_DIALECT', '3', 'bitmap names DE 3');
  assertCodecError(() => unpackMessage(dialect, Buffer.concat([header, Buffer.from('0000', 'hex')])), 'RSW_CODEC_TRUNCATED', 'bitmap', 'short bitmap');
  const primaryOnly = compileDialect({ name: 'p', messageBytesMax: 512, mti: { encoding: 'ascii' }, bitmap: { encoding: 'hex', secondary: false }, fields: { 3: { name: 'x', ...nFixedAscii } } }, 'p');
  assertCodecError(() => unpackMessage(primaryOnly, Buffer.from('0200C000000000000000', 'latin1')), 'RSW_CODEC_BAD_BITMAP', 'bitmap', 'secondary not allowed');
  assertCodecError(() => unpackMessage(primaryOnly, Buffer.from('0200G000000000000000', 'latin1')), 'RSW_CODEC_BAD_BITMAP', 'bitmap', 'hex bitmap not hex');
  const tooBig = compileDialect({ name: 't', messageBytesMax: 40, mti: { encoding: 'ascii' }, bitmap: { encoding: 'binary', secondary: false }, fields: { 2: { name: 'x', type: 'ans', encoding: 'ascii', lengthKind: 'LLL', max: 999, prefix: 'ascii' } } }, 't');
  assertCodecError(() => packMessage(tooBig, { mti: '0200', fields: { 2: 'x'.repeat(100) } }), 'RSW_CODEC_MESSAGE_TOO_LARGE', '2', 'message too large');
});

test('error messages never carry the value', () => {
  const dialect = dialectWith({ type: 'n', encoding: 'ascii', lengthKind: 'LL', max: 19, prefix: 'ascii' });
  const pan = '622202123456789012X';
  try {
    packMessage(dialect, { mti: '0200', fields: { 2: pan } });
    assert.fail('expected a codec error');
  } catch (error) {
    assert.ok(isReswipeError(error));
    assert.ok(!JSON.stringify(error.toJSON()).includes('6222021234'));
    assert.ok(!error.message.includes('6222021234'));
  }
});
