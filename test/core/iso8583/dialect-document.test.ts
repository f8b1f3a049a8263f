// Goal: a bad dialect document is rejected with the path of the bad entry, and the built-in
// dialects are valid. Method: table of one-line breakages applied to a good document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDialect, getDialect } from '../../../src/core/iso8583/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import iso87Ascii from '../../../src/core/iso8583/dialects/iso87-ascii.json' with { type: 'json' };

function goodDocument(): Record<string, any> {
  return structuredClone(iso87Ascii) as Record<string, any>;
}

const rows: Array<[string, (document: Record<string, any>) => void, string]> = [
  ['unknown length kind', (d) => (d.fields['55'].lengthKind = 'LLLLL'), 'fields.55.lengthKind'],
  ['unknown type', (d) => (d.fields['3'].type = 'x'), 'fields.3.type'],
  ['encoding not for type', (d) => (d.fields['3'].encoding = 'binary'), 'fields.3.encoding'],
  ['fixed without length', (d) => delete d.fields['4'].length, 'fields.4.length'],
  ['fixed with a prefix', (d) => (d.fields['4'].prefix = 'ascii'), 'fields.4.prefix'],
  ['variable without prefix', (d) => delete d.fields['2'].prefix, 'fields.2.prefix'],
  ['LL max over 99', (d) => (d.fields['2'].max = 100), 'fields.2.max'],
  ['variable with padding', (d) => (d.fields['2'].padding = 'zeros-left'), 'fields.2.padding'],
  ['zeros padding on text', (d) => (d.fields['41'].padding = 'zeros-left'), 'fields.41.padding'],
  ['typo in a key', (d) => (d.fields['41'].lenght = 8), 'fields.41.lenght'],
  ['DE number out of range', (d) => (d.fields['129'] = d.fields['3']), 'fields.129'],
  ['DE 1', (d) => (d.fields['1'] = d.fields['3']), 'fields.1'],
  ['DE number not canonical', (d) => (d.fields['03'] = d.fields['3']), 'fields.03'],
  ['field 70 without secondary bitmap', (d) => (d.bitmap.secondary = false), 'fields.70'],
  ['bad MTI encoding', (d) => (d.mti.encoding = 'ebcdic'), 'mti.encoding'],
  ['bad bitmap encoding', (d) => (d.bitmap.encoding = 'base64'), 'bitmap.encoding'],
  ['TLV on text', (d) => (d.fields['48'].composite = { kind: 'tlv' }), 'fields.48.composite.kind'],
  ['positional on bytes', (d) => (d.fields['55'].composite = { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 1 }] }), 'fields.55.composite.kind'],
  ['sub-fields too long', (d) => (d.fields['48'].composite = { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 999 }, { id: '2', name: 'b', type: 'n', length: 1 }] }), 'fields.48.composite.subfields.1.length'],
  ['rest sub-field not last', (d) => (d.fields['48'].composite = { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n' }, { id: '2', name: 'b', type: 'n', length: 1 }] }), 'fields.48.composite.subfields.0.length'],
  ['sub-field id twice', (d) => (d.fields['48'].composite = { kind: 'positional', subfields: [{ id: '1', name: 'a', type: 'n', length: 1 }, { id: '1', name: 'b', type: 'n', length: 1 }] }), 'fields.48.composite.subfields.1.id'],
  ['messageBytesMax missing', (d) => delete d.messageBytesMax, 'messageBytesMax'],
  ['TPDU default wrong size', (d) => (d.tpdu = { length: 5, default: '60' }), 'tpdu.default'],
  ['odd BCD header', (d) => (d.header = { encoding: 'bcd', length: 11 }), 'header.length'],
  ['no fields', (d) => (d.fields = {}), 'fields'],
];

test('each broken entry is reported with its path', () => {
  for (const [name, breakIt, path] of rows) {
    const document = goodDocument();
    breakIt(document);
    assert.throws(
      () => compileDialect(document, 'test.json'),
      (error: unknown) => isReswipeError(error, 'RSW_CODEC_BAD_DIALECT') && error.field === path && error.message.includes('test.json'),
      name,
    );
  }
});

test('the document must be an object', () => {
  for (const value of [null, [], 'x', 3]) {
    assert.throws(() => compileDialect(value, 's'), (error: unknown) => isReswipeError(error, 'RSW_CODEC_BAD_DIALECT') && error.field === '(document)');
  }
});

test('built-in dialects compile and are cached; unknown names are refused', () => {
  assert.equal(getDialect('iso87-ascii').name, 'iso87-ascii');
  assert.equal(getDialect('cups-pos').name, 'cups-pos');
  assert.equal(getDialect('cups-pos'), getDialect('cups-pos'));
  assert.throws(() => getDialect('no-such-dialect'), (error: unknown) => isReswipeError(error, 'RSW_CODEC_UNKNOWN_DIALECT'));
});

test('a dialect file is read through the injected reader; bad JSON and unreadable files are typed errors', () => {
  const text = JSON.stringify({ ...goodDocument(), name: 'custom' });
  assert.equal(getDialect('/virtual/custom.json', () => text).name, 'custom');
  assert.throws(() => getDialect('/virtual/bad.json', () => '{'), (error: unknown) => isReswipeError(error, 'RSW_CODEC_BAD_DIALECT'));
  assert.throws(
    () => getDialect('/virtual/missing.json', () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    }),
    (error: unknown) => isReswipeError(error, 'RSW_CODEC_UNKNOWN_DIALECT'),
  );
});
