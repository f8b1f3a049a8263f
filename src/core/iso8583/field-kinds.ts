// Kind axis of a field: what its characters may be (n digits, an letters/digits/spaces, ans printable,
// z track 2 digits with `=`, b bytes), how a fixed one is padded by default, and the composite kinds
// built on top of text or bytes: BER-TLV objects (DE 55) and positional sub-fields (cups-pos DE 60,
// DE 61). Composites are checked sub-field by sub-field; errors name the sub-field's path.
import { ReswipeError } from '../errors/reswipe-error.ts';
import type { FieldDocument, FieldType, SubfieldDocument } from './dialect-document.ts';
import { isHex } from './dialect-document.ts';
import { badLength, badValue } from './field-cursor.ts';
import type { IsoComposite, IsoFieldValue } from './iso-message.ts';

/** 0 = not allowed; bit 1 = n, 2 = an, 4 = ans (printable ASCII), 8 = z. */
export const asciiClass = new Uint8Array(128);
for (let code = 0x20; code <= 0x7e; code += 1) asciiClass[code] = 4;
for (let code = 48; code <= 57; code += 1) asciiClass[code] = 1 | 2 | 4 | 8;
for (let code = 65; code <= 90; code += 1) asciiClass[code] = 2 | 4;
for (let code = 97; code <= 122; code += 1) asciiClass[code] = 2 | 4;
asciiClass[32] = 2 | 4;
asciiClass[61] = 4 | 8; // '=' track 2 separator
asciiClass[68] = 2 | 4 | 8; // 'D' accepted as the separator on input

export function classBitOf(type: FieldType | SubfieldDocument['type']): number {
  switch (type) {
    case 'n':
      return 1;
    case 'an':
      return 2;
    case 'ans':
      return 4;
    case 'z':
      return 8;
    case 'b':
      return 0;
  }
}

export function describeClass(type: FieldType | SubfieldDocument['type']): string {
  switch (type) {
    case 'n':
      return 'digits only';
    case 'an':
      return 'letters, digits and spaces only';
    case 'ans':
      return 'printable characters only';
    case 'z':
      return 'digits and the separator = only';
    case 'b':
      return 'bytes';
  }
}

/** Text for utf8/gbk fields: no control characters and no lone surrogates, so what is packed reads back the same. */
export function checkFreeText(value: string, field: string): void {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) badValue(field, 'control characters are not allowed');
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) badValue(field, 'text is not well-formed Unicode');
      index += 1;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      badValue(field, 'text is not well-formed Unicode');
    } else if (code === 0xfffd) {
      badValue(field, 'text holds the replacement character U+FFFD');
    }
  }
}

/** True when every character is printable ASCII (0x20..0x7e): free text that needs no charset encoder. */
export function isPrintableAscii(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** True when every byte from start to end is printable ASCII (0x20..0x7e). */
export function isPrintableAsciiBytes(buf: Buffer, start: number, end: number): boolean {
  for (let pos = start; pos < end; pos += 1) {
    const code = buf[pos] as number;
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** The padding of a fixed field the dialect does not name: zeros left for n, spaces right for an/ans. */
export function defaultPaddingOf(document: FieldDocument): 'zeros-left' | 'spaces-right' | 'none' {
  if (document.padding !== undefined) return document.padding;
  if (document.type === 'n') return 'zeros-left';
  if (document.type === 'an' || document.type === 'ans') return 'spaces-right';
  return 'none';
}

export function isPlainObject(value: IsoFieldValue): value is IsoComposite {
  return typeof value === 'object' && !(value instanceof Uint8Array);
}

function badTlv(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_TLV', { field, reason });
}

/** The BER-TLV tag at pos, as upper-case hex; multi-byte when the low five bits of the first byte are all set. */
function readTag(bytes: Buffer, pos: number, field: string): number {
  const first = bytes[pos] as number;
  let end = pos + 1;
  if ((first & 0x1f) === 0x1f) {
    for (;;) {
      if (end >= bytes.length) badTlv(field, 'a tag runs past the end of the field');
      if (end - pos >= 4) badTlv(field, 'a tag is longer than 4 bytes');
      const next = bytes[end] as number;
      end += 1;
      if ((next & 0x80) === 0) break;
    }
  }
  return end;
}

function isWellFormedTag(tag: Buffer): boolean {
  if (tag.length === 0 || tag.length > 4) return false;
  const first = tag[0] as number;
  if ((first & 0x1f) !== 0x1f) return tag.length === 1;
  if (tag.length === 1) return false;
  for (let index = 1; index < tag.length; index += 1) {
    const isLast = index === tag.length - 1;
    const more = ((tag[index] as number) & 0x80) !== 0;
    if (more === isLast) return false;
  }
  return true;
}

/** Encodes `{ '9F02': '000000012345' }` as BER-TLV, tags in the object's order. */
export function encodeTlv(composite: IsoComposite, field: string, bytesMax: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let count = 0;
  for (const tag in composite) {
    count += 1;
    if (count > 128) badTlv(field, 'more than 128 tags');
    const path = `${field}.${tag}`;
    const value = composite[tag];
    if (!isHex(tag)) badTlv(path, 'a tag must be hex');
    const tagBytes = Buffer.from(tag, 'hex');
    if (!isWellFormedTag(tagBytes)) badTlv(path, 'the tag is not a well-formed BER tag');
    if (typeof value !== 'string' || !isHex(value)) badTlv(path, 'a value must be an even-length hex string');
    const valueBytes = Buffer.from(value, 'hex');
    const length = valueBytes.length;
    const lengthBytes = length < 0x80 ? Buffer.of(length) : length < 0x100 ? Buffer.of(0x81, length) : Buffer.of(0x82, length >> 8, length & 0xff);
    if (length > 0xffff) badTlv(path, 'a value is longer than 65535 bytes');
    total += tagBytes.length + lengthBytes.length + length;
    if (total > bytesMax) badLength(path, `the TLV data exceeds ${bytesMax} bytes`);
    parts.push(tagBytes, lengthBytes, valueBytes);
  }
  return Buffer.concat(parts, total);
}

/** Decodes BER-TLV into `{ TAG: 'HEX' }`; rejects a truncated element or a tag seen twice. */
export function decodeTlv(bytes: Buffer, field: string): IsoComposite {
  const result: Record<string, string> = {};
  let pos = 0;
  let count = 0;
  while (pos < bytes.length) {
    count += 1;
    if (count > 128) badTlv(field, 'more than 128 tags');
    const tagEnd = readTag(bytes, pos, field);
    const tag = bytes.toString('hex', pos, tagEnd).toUpperCase();
    const path = `${field}.${tag}`;
    pos = tagEnd;
    if (pos >= bytes.length) badTlv(path, 'the length is missing');
    let length = bytes[pos] as number;
    pos += 1;
    if (length >= 0x80) {
      const lengthBytes = length & 0x7f;
      if (lengthBytes === 0 || lengthBytes > 2) badTlv(path, 'the length form is not supported');
      if (pos + lengthBytes > bytes.length) badTlv(path, 'the length runs past the end of the field');
      length = lengthBytes === 1 ? (bytes[pos] as number) : bytes.readUInt16BE(pos);
      pos += lengthBytes;
    }
    if (pos + length > bytes.length) badTlv(path, 'the value runs past the end of the field');
    if (Object.hasOwn(result, tag)) badTlv(path, 'the tag appears twice');
    result[tag] = bytes.toString('hex', pos, pos + length).toUpperCase();
    pos += length;
  }
  return result;
}

function badSubfield(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_SUBFIELD', { field, reason });
}

interface CompiledSubfield {
  readonly id: string;
  readonly length: number | undefined;
  readonly classBit: number;
  readonly classText: string;
}

export function compileSubfields(subfields: readonly SubfieldDocument[]): readonly CompiledSubfield[] {
  return subfields.map((subfield) => ({ id: subfield.id, length: subfield.length, classBit: classBitOf(subfield.type), classText: describeClass(subfield.type) }));
}

function checkSubfieldText(text: string, subfield: CompiledSubfield, path: string): void {
  // Free text (utf8/gbk parents) was checked as a whole; the class check applies to ASCII characters.
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 128 && ((asciiClass[code] as number) & subfield.classBit) === 0) badSubfield(path, subfield.classText);
    if (code >= 128 && subfield.classBit !== 4) badSubfield(path, subfield.classText);
  }
}

/**
 * Joins positional sub-fields in order; a later one present after an absent one is a gap. A fixed
 * field needs every sub-field (padding would shift them), and an empty rest sub-field is left out
 * rather than sent, so that what is packed reads back the same.
 */
export function joinPositional(composite: IsoComposite, subfields: readonly CompiledSubfield[], field: string, fixedLength: number | undefined): string {
  let text = '';
  let present = 0;
  let ended = false;
  for (const subfield of subfields) {
    const value = composite[subfield.id];
    const path = `${field}.${subfield.id}`;
    if (value === undefined) {
      ended = true;
      continue;
    }
    if (ended) badSubfield(path, 'present after an absent sub-field; positional sub-fields cannot have gaps');
    if (typeof value !== 'string') badSubfield(path, 'must be text');
    if (subfield.length !== undefined && value.length !== subfield.length) badSubfield(path, `${value.length} characters, exactly ${subfield.length} required`);
    if (subfield.length === undefined && value.length === 0) badSubfield(path, 'an empty sub-field is left out, not sent empty');
    checkSubfieldText(value, subfield, path);
    text += value;
    present += 1;
  }
  let keys = 0;
  for (const key in composite) {
    keys += 1;
    if (!subfields.some((subfield) => subfield.id === key)) badSubfield(`${field}.${key}`, 'not a sub-field of this field');
  }
  if (keys !== present) badSubfield(field, 'a sub-field is not text');
  if (fixedLength !== undefined && text.length !== fixedLength) badSubfield(field, `a fixed field of ${fixedLength} characters needs all its sub-fields`);
  return text;
}

export function splitPositional(text: string, subfields: readonly CompiledSubfield[], field: string): IsoComposite {
  const result: Record<string, string> = {};
  let pos = 0;
  for (const subfield of subfields) {
    if (pos >= text.length) break;
    const path = `${field}.${subfield.id}`;
    const end = subfield.length === undefined ? text.length : pos + subfield.length;
    if (end > text.length) badSubfield(path, `the field ends inside this sub-field (${text.length - pos} of ${subfield.length} characters)`);
    const value = text.slice(pos, end);
    checkSubfieldText(value, subfield, path);
    result[subfield.id] = value;
    pos = end;
  }
  if (pos < text.length) badSubfield(field, `${text.length - pos} characters follow the last sub-field`);
  return result;
}
