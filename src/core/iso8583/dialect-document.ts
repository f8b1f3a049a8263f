// The dialect document: an ISO 8583 dialect as data (JSON), checked entry by entry so that a bad
// file is rejected with the path of the bad entry (`fields.55.lengthKind`) rather than at the first
// message that happens to use it. Built from small orthogonal parts, as in moov-io/iso8583:
// type, encoding, length kind, length prefix, padding and an optional composite layout.
import { ReswipeError } from '../errors/reswipe-error.ts';

export const fieldTypes = ['n', 'an', 'ans', 'b', 'z'] as const;
export type FieldType = (typeof fieldTypes)[number];
export const fieldEncodings = ['ascii', 'utf8', 'gbk', 'bcd-left', 'bcd-right', 'binary', 'hex'] as const;
export type FieldEncoding = (typeof fieldEncodings)[number];
export const lengthKinds = ['fixed', 'LL', 'LLL', 'LLLL'] as const;
export type LengthKind = (typeof lengthKinds)[number];
export const prefixEncodings = ['ascii', 'bcd', 'binary'] as const;
export type PrefixEncoding = (typeof prefixEncodings)[number];
export const paddings = ['zeros-left', 'spaces-right', 'none'] as const;
export type Padding = (typeof paddings)[number];
export const subfieldTypes = ['n', 'an', 'ans'] as const;
export type SubfieldType = (typeof subfieldTypes)[number];

export interface SubfieldDocument {
  readonly id: string;
  readonly name: string;
  readonly type: SubfieldType;
  /** Characters; omitted only on the last sub-field, which then takes the rest of the field. */
  readonly length?: number;
}

export type CompositeDocument =
  | { readonly kind: 'tlv' }
  | { readonly kind: 'positional'; readonly subfields: readonly SubfieldDocument[] };

export interface FieldDocument {
  readonly name: string;
  readonly type: FieldType;
  readonly encoding: FieldEncoding;
  readonly lengthKind: LengthKind;
  /** Fixed fields: the length in units (digits for BCD, bytes otherwise; for hex, bytes of the value). */
  readonly length?: number;
  /** Variable fields: the largest length the prefix may announce, in the same units. */
  readonly max?: number;
  /** Variable fields: how the length prefix is written. */
  readonly prefix?: PrefixEncoding;
  /** Fixed fields: how a shorter value is filled; defaults to zeros-left for n, spaces-right for an/ans, none otherwise. */
  readonly padding?: Padding;
  readonly composite?: CompositeDocument;
}

export interface DialectDocument {
  readonly name: string;
  readonly description?: string;
  /** The largest packed message (without the frame length prefix). */
  readonly messageBytesMax: number;
  readonly mti: { readonly encoding: 'ascii' | 'bcd' };
  readonly bitmap: { readonly encoding: 'binary' | 'hex'; readonly secondary: boolean };
  /** Transport PDU in front of the message (cups-pos: 5 bytes); default is hex. */
  readonly tpdu?: { readonly length: number; readonly default?: string };
  /** Message header after the TPDU (cups-pos: 12 BCD digits); length in digits or characters. */
  readonly header?: { readonly encoding: 'bcd' | 'ascii'; readonly length: number; readonly default?: string };
  readonly fields: { readonly [de: string]: FieldDocument };
}

/** The largest value a prefix of each kind may announce. */
export const lengthKindMax: Readonly<Record<Exclude<LengthKind, 'fixed'>, number>> = { LL: 99, LLL: 999, LLLL: 9999 };
const fixedLengthMax = 999;
const messageBytesMaxLimit = 65535;

const encodingsByType: Readonly<Record<FieldType, readonly FieldEncoding[]>> = {
  n: ['ascii', 'bcd-left', 'bcd-right'],
  z: ['ascii', 'bcd-left', 'bcd-right'],
  an: ['ascii', 'utf8', 'gbk'],
  ans: ['ascii', 'utf8', 'gbk'],
  b: ['binary', 'hex'],
};

class DocumentChecker {
  constructor(readonly source: string) {}

  fail(path: string, reason: string): never {
    throw new ReswipeError('RSW_CODEC_BAD_DIALECT', { source: this.source, field: path, reason });
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Record<string, unknown>;
  }

  onlyKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(`${path === '' ? '' : `${path}.`}${key}`, `unknown key; allowed: ${allowed.join(', ')}`);
    }
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > 200) this.fail(path, 'must be a non-empty string of at most 200 characters');
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) this.fail(path, `must be one of ${allowed.join(', ')}`);
    return value as T;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(path, `must be an integer from ${min} to ${max}`);
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }
}

/** Checks a parsed JSON document and returns it typed; throws RSW_CODEC_BAD_DIALECT naming the bad entry. */
export function validateDialectDocument(input: unknown, source: string): DialectDocument {
  const check = new DocumentChecker(source);
  const document = check.object(input, '(document)');
  check.onlyKeys(document, '', ['name', 'description', 'messageBytesMax', 'mti', 'bitmap', 'tpdu', 'header', 'fields']);
  const name = check.string(document.name, 'name');
  if (document.description !== undefined && typeof document.description !== 'string') check.fail('description', 'must be a string');
  const messageBytesMax = check.integer(document.messageBytesMax, 'messageBytesMax', 16, messageBytesMaxLimit);

  const mtiDocument = check.object(document.mti, 'mti');
  check.onlyKeys(mtiDocument, 'mti', ['encoding']);
  const mti = { encoding: check.oneOf(mtiDocument.encoding, 'mti.encoding', ['ascii', 'bcd'] as const) };

  const bitmapDocument = check.object(document.bitmap, 'bitmap');
  check.onlyKeys(bitmapDocument, 'bitmap', ['encoding', 'secondary']);
  const bitmap = {
    encoding: check.oneOf(bitmapDocument.encoding, 'bitmap.encoding', ['binary', 'hex'] as const),
    secondary: check.boolean(bitmapDocument.secondary, 'bitmap.secondary'),
  };

  let tpdu: DialectDocument['tpdu'];
  if (document.tpdu !== undefined) {
    const tpduDocument = check.object(document.tpdu, 'tpdu');
    check.onlyKeys(tpduDocument, 'tpdu', ['length', 'default']);
    const length = check.integer(tpduDocument.length, 'tpdu.length', 1, 16);
    let fallback: string | undefined;
    if (tpduDocument.default !== undefined) {
      fallback = check.string(tpduDocument.default, 'tpdu.default');
      if (fallback.length !== length * 2 || !isHex(fallback)) check.fail('tpdu.default', `must be ${length * 2} hex digits`);
    }
    tpdu = fallback === undefined ? { length } : { length, default: fallback };
  }

  let header: DialectDocument['header'];
  if (document.header !== undefined) {
    const headerDocument = check.object(document.header, 'header');
    check.onlyKeys(headerDocument, 'header', ['encoding', 'length', 'default']);
    const encoding = check.oneOf(headerDocument.encoding, 'header.encoding', ['bcd', 'ascii'] as const);
    const length = check.integer(headerDocument.length, 'header.length', 1, 64);
    if (encoding === 'bcd' && length % 2 !== 0) check.fail('header.length', 'a BCD header must have an even number of digits');
    let fallback: string | undefined;
    if (headerDocument.default !== undefined) {
      fallback = check.string(headerDocument.default, 'header.default');
      const digitsOnly = encoding === 'bcd';
      if (fallback.length !== length || (digitsOnly && !isDigits(fallback))) check.fail('header.default', `must be ${length} ${digitsOnly ? 'digits' : 'characters'}`);
    }
    header = fallback === undefined ? { encoding, length } : { encoding, length, default: fallback };
  }

  const fieldsDocument = check.object(document.fields, 'fields');
  const fields: Record<string, FieldDocument> = {};
  const deMax = bitmap.secondary ? 128 : 64;
  for (const [key, value] of Object.entries(fieldsDocument)) {
    const de = Number(key);
    if (!Number.isInteger(de) || String(de) !== key || de < 2 || de > deMax) {
      check.fail(`fields.${key}`, `a data element number must be an integer from 2 to ${deMax}${bitmap.secondary ? '' : ' (bitmap.secondary is false)'}`);
    }
    if (de === 65) check.fail('fields.65', 'DE 65 is the tertiary bitmap indicator and is not supported');
    fields[key] = validateField(check, value, `fields.${key}`);
  }
  if (Object.keys(fields).length === 0) check.fail('fields', 'must define at least one data element');

  const result: DialectDocument = { name, messageBytesMax, mti, bitmap, fields };
  return {
    ...result,
    ...(typeof document.description === 'string' ? { description: document.description } : {}),
    ...(tpdu === undefined ? {} : { tpdu }),
    ...(header === undefined ? {} : { header }),
  };
}

function validateField(check: DocumentChecker, input: unknown, path: string): FieldDocument {
  const field = check.object(input, path);
  check.onlyKeys(field, path, ['name', 'type', 'encoding', 'lengthKind', 'length', 'max', 'prefix', 'padding', 'composite']);
  const name = check.string(field.name, `${path}.name`);
  const type = check.oneOf(field.type, `${path}.type`, fieldTypes);
  const encoding = check.oneOf(field.encoding, `${path}.encoding`, fieldEncodings);
  if (!encodingsByType[type].includes(encoding)) {
    check.fail(`${path}.encoding`, `type ${type} takes one of ${encodingsByType[type].join(', ')}`);
  }
  const lengthKind = check.oneOf(field.lengthKind, `${path}.lengthKind`, lengthKinds);
  let size: number;
  let result: FieldDocument;
  if (lengthKind === 'fixed') {
    if (field.max !== undefined) check.fail(`${path}.max`, 'only variable fields have a max; use length');
    if (field.prefix !== undefined) check.fail(`${path}.prefix`, 'only variable fields have a length prefix');
    size = check.integer(field.length, `${path}.length`, 1, fixedLengthMax);
    const padding = field.padding === undefined ? undefined : check.oneOf(field.padding, `${path}.padding`, paddings);
    if (padding === 'zeros-left' && type !== 'n') check.fail(`${path}.padding`, 'zeros-left padding is for type n');
    if (padding === 'spaces-right' && type !== 'an' && type !== 'ans') check.fail(`${path}.padding`, 'spaces-right padding is for types an and ans');
    result = { name, type, encoding, lengthKind, length: size, ...(padding === undefined ? {} : { padding }) };
  } else {
    if (field.length !== undefined) check.fail(`${path}.length`, 'variable fields have a max, not a length');
    if (field.padding !== undefined) check.fail(`${path}.padding`, 'only fixed fields are padded');
    size = check.integer(field.max, `${path}.max`, 1, lengthKindMax[lengthKind]);
    const prefix = check.oneOf(field.prefix, `${path}.prefix`, prefixEncodings);
    if (prefix === 'binary' && lengthKind === 'LL' && size > 255) check.fail(`${path}.max`, 'a one-byte binary LL prefix counts at most 255');
    result = { name, type, encoding, lengthKind, max: size, prefix };
  }
  if (field.composite !== undefined) {
    return { ...result, composite: validateComposite(check, field.composite, `${path}.composite`, type, size) };
  }
  return result;
}

function validateComposite(check: DocumentChecker, input: unknown, path: string, type: FieldType, size: number): CompositeDocument {
  const composite = check.object(input, path);
  const kind = check.oneOf(composite.kind, `${path}.kind`, ['tlv', 'positional'] as const);
  if (kind === 'tlv') {
    check.onlyKeys(composite, path, ['kind']);
    if (type !== 'b') check.fail(`${path}.kind`, 'a TLV composite must be on a field of type b');
    return { kind };
  }
  check.onlyKeys(composite, path, ['kind', 'subfields']);
  if (type !== 'n' && type !== 'an' && type !== 'ans') check.fail(`${path}.kind`, 'a positional composite must be on a field of type n, an or ans');
  if (!Array.isArray(composite.subfields) || composite.subfields.length === 0 || composite.subfields.length > 64) {
    check.fail(`${path}.subfields`, 'must be a list of 1 to 64 sub-fields');
  }
  const subfields: SubfieldDocument[] = [];
  const ids = new Set<string>();
  let total = 0;
  const list = composite.subfields as unknown[];
  list.forEach((entry, index) => {
    const subPath = `${path}.subfields.${index}`;
    const subfield = check.object(entry, subPath);
    check.onlyKeys(subfield, subPath, ['id', 'name', 'type', 'length']);
    const id = check.string(subfield.id, `${subPath}.id`);
    if (ids.has(id)) check.fail(`${subPath}.id`, `sub-field id ${id} appears twice`);
    ids.add(id);
    const subName = check.string(subfield.name, `${subPath}.name`);
    const subType = check.oneOf(subfield.type, `${subPath}.type`, subfieldTypes);
    if (type === 'n' && subType !== 'n') check.fail(`${subPath}.type`, 'sub-fields of a numeric field must be n');
    if (subfield.length === undefined) {
      if (index !== list.length - 1) check.fail(`${subPath}.length`, 'only the last sub-field may omit its length');
      subfields.push({ id, name: subName, type: subType });
      return;
    }
    const length = check.integer(subfield.length, `${subPath}.length`, 1, size);
    total += length;
    if (total > size) check.fail(`${subPath}.length`, `sub-fields add up to more than the field's ${size}`);
    subfields.push({ id, name: subName, type: subType, length });
  });
  return { kind, subfields };
}

export function isHex(text: string): boolean {
  if (text.length % 2 !== 0) return false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const isHexDigit = (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
    if (!isHexDigit) return false;
  }
  return true;
}

export function isDigits(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}
