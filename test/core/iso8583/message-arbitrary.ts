// fast-check generators of valid messages for any dialect document: each defined field is present
// or not, with a value drawn from its type, encoding and length (shared by the property tests).
import fc from 'fast-check';
import type { DialectDocument, FieldDocument } from '../../../src/core/iso8583/dialect-document.ts';
import type { IsoFieldValue, IsoMessage } from '../../../src/core/iso8583/index.ts';

const digits = '0123456789'.split('');
const alnum = [...digits, ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz '];
const printable = Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index));
const cjk = '交易成功请稍后再试余额不足卡号错误联系发卡行商户终端签到'.split('');
const emoji = ['😀', '€', 'é'];
const tlvTags = ['9F02', '9F03', '9F26', '9F27', '9F10', '9F37', '9F36', '95', '9A', '9C', '5F2A', '82', '84', '5A', '57', 'DF01'];

function textOf(chars: readonly string[], minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...chars), { minLength, maxLength }).map((list) => list.join(''));
}

function charsFor(field: FieldDocument): readonly string[] {
  switch (field.type) {
    case 'n':
      return digits;
    case 'z':
      return [...digits, '='];
    case 'an':
      return field.encoding === 'ascii' ? alnum : [...alnum, ...cjk];
    case 'ans':
      if (field.encoding === 'utf8') return [...printable, ...cjk, ...emoji];
      if (field.encoding === 'gbk') return [...printable, ...cjk];
      return printable;
    case 'b':
      return [];
  }
}

function byteLength(text: string, encoding: FieldDocument['encoding']): number {
  if (encoding === 'utf8') return Buffer.byteLength(text, 'utf8');
  if (encoding === 'gbk') {
    let total = 0;
    for (const char of text) total += char.charCodeAt(0) < 128 ? 1 : 2;
    return total;
  }
  return text.length;
}

function arbitraryField(field: FieldDocument): fc.Arbitrary<IsoFieldValue> {
  const fixed = field.lengthKind === 'fixed';
  const size = (fixed ? field.length : field.max) as number;
  const composite = field.composite;
  if (composite?.kind === 'tlv') {
    return fc
      .uniqueArray(fc.tuple(fc.constantFrom(...tlvTags), fc.uint8Array({ maxLength: 24 })), { selector: ([tag]) => tag, maxLength: 10 })
      .map((pairs) => {
        const out: Record<string, string> = {};
        let total = 0;
        for (const [tag, value] of pairs) {
          const cost = tag.length / 2 + 1 + value.length;
          if (total + cost > size) break;
          total += cost;
          out[tag] = Buffer.from(value).toString('hex').toUpperCase();
        }
        return out;
      });
  }
  if (composite?.kind === 'positional') {
    const parts = composite.subfields.map((subfield) => {
      const chars = subfield.type === 'n' ? digits : subfield.type === 'an' ? alnum : printable;
      return subfield.length === undefined ? textOf(chars, 1, 10) : textOf(chars, subfield.length, subfield.length);
    });
    return fc.tuple(fc.integer({ min: fixed ? composite.subfields.length : 0, max: composite.subfields.length }), fc.tuple(...parts)).map(([count, values]) => {
      const out: Record<string, string> = {};
      composite.subfields.slice(0, count).forEach((subfield, index) => {
        out[subfield.id] = values[index] as string;
      });
      return out;
    });
  }
  if (field.type === 'b') {
    return fc.uint8Array({ minLength: fixed ? size : 0, maxLength: size }).map((bytes) => Buffer.from(bytes));
  }
  const chars = charsFor(field);
  const isMultiByte = field.encoding === 'utf8' || field.encoding === 'gbk';
  if (fixed && !isMultiByte) return textOf(chars, size, size);
  return textOf(chars, 0, Math.min(size, 60)).map((text) => {
    let out = text;
    while (byteLength(out, field.encoding) > size) out = Array.from(out).slice(0, -1).join('');
    if (fixed) out += ' '.repeat(size - byteLength(out, field.encoding));
    return out;
  });
}

/** Valid messages for the dialect, with TPDU and header when it has them. */
export function arbitraryMessage(document: DialectDocument): fc.Arbitrary<IsoMessage> {
  const fieldEntries = Object.entries(document.fields);
  const record: Record<string, fc.Arbitrary<IsoFieldValue>> = {};
  for (const [de, field] of fieldEntries) record[de] = arbitraryField(field);
  return fc.record({
    mti: textOf(digits, 4, 4),
    fields: fc.record(record, { requiredKeys: [] }),
    tpdu: fc.uint8Array({ minLength: document.tpdu?.length ?? 0, maxLength: document.tpdu?.length ?? 0 }).map((bytes) => Buffer.from(bytes)),
    header: textOf(document.header?.encoding === 'ascii' ? printable : digits, document.header?.length ?? 0, document.header?.length ?? 0),
  }).map(({ mti, fields, tpdu, header }) => {
    const message: IsoMessage = { mti, fields: { ...fields } as Record<number, IsoFieldValue> };
    if (document.tpdu !== undefined) message.tpdu = tpdu;
    if (document.header !== undefined) message.header = header;
    return message;
  });
}
