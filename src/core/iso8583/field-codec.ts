// Compiles one field definition of a dialect document into a pair of closures that write a value
// into the packing buffer and read it back, so a message pays for no interpretation of the
// document at run time: no per-field lookups of type or encoding, no regexes, no temporary strings
// for ASCII and BCD fields. Every closure validates what it writes and what it reads.
import iconv from 'iconv-lite';
import { ReswipeError } from '../errors/reswipe-error.ts';
import type { FieldDocument, FieldType, PrefixEncoding, SubfieldDocument } from './dialect-document.ts';
import { isHex } from './dialect-document.ts';
import type { IsoComposite, IsoFieldValue } from './iso-message.ts';

/** The packing cursor: bytes go to buf from pos; the codec checks the message limit after each field. */
export interface Writer {
  buf: Buffer;
  pos: number;
}

/** Buffer's own latin1 slicer: `toString('latin1', ...)` without its argument checks, for validated ASCII. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

const fromCodes = String.fromCharCode;

/**
 * The text of validated ASCII bytes. Fields up to 16 bytes (most of a message) skip the call into
 * C++: String.fromCharCode with the bytes as arguments takes about a third of the time of
 * latin1Slice at 12 bytes.
 */
export function latin1Of(buf: Buffer, start: number, end: number): string {
  switch (end - start) {
    case 0:
      return '';
    case 1:
      return fromCodes(buf[start] as number);
    case 2:
      return fromCodes(buf[start] as number, buf[start + 1] as number);
    case 3:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number);
    case 4:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number);
    case 5:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number);
    case 6:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number);
    case 7:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number);
    case 8:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number);
    case 9:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number);
    case 10:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number);
    case 11:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number);
    case 12:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number, buf[start + 11] as number);
    case 13:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number, buf[start + 11] as number, buf[start + 12] as number);
    case 14:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number, buf[start + 11] as number, buf[start + 12] as number, buf[start + 13] as number);
    case 15:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number, buf[start + 11] as number, buf[start + 12] as number, buf[start + 13] as number, buf[start + 14] as number);
    case 16:
      return fromCodes(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number, buf[start + 4] as number, buf[start + 5] as number, buf[start + 6] as number, buf[start + 7] as number, buf[start + 8] as number, buf[start + 9] as number, buf[start + 10] as number, buf[start + 11] as number, buf[start + 12] as number, buf[start + 13] as number, buf[start + 14] as number, buf[start + 15] as number);
    default:
      return (buf as unknown as Latin1Slicer).latin1Slice(start, end);
  }
}

/** The unpacking cursor over one message: bytes from pos up to end. */
export interface Reader {
  buf: Buffer;
  pos: number;
  end: number;
}

/** What a field holds at the API: text, bytes, or a composite object. */
export type FieldValueKind = 'text' | 'bytes' | 'tlv' | 'positional';

export interface FieldCodec {
  readonly de: number;
  readonly name: string;
  readonly valueKind: FieldValueKind;
  /** The most bytes this field can take on the wire, prefix included. */
  readonly wireBytesMax: number;
  /** Set for a plain ASCII text field: the codec calls writeAsciiText/readAsciiText with it directly. */
  readonly asciiText: AsciiTextSpec | undefined;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): IsoFieldValue;
}

// ---- errors: the path names the field, the reason never quotes the value ----

function badValue(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field, reason });
}

function badLength(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_LENGTH', { field, reason });
}

function truncated(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_TRUNCATED', { field, reason });
}

function need(reader: Reader, count: number, field: string, what: string): void {
  if (reader.end - reader.pos < count) truncated(field, `${what} needs ${count} bytes, ${reader.end - reader.pos} left`);
}

// ---- character classes ----

/** 0 = not allowed; bit 1 = n, 2 = an, 4 = ans (printable ASCII), 8 = z. */
const asciiClass = new Uint8Array(128);
for (let code = 0x20; code <= 0x7e; code += 1) asciiClass[code] = 4;
for (let code = 48; code <= 57; code += 1) asciiClass[code] = 1 | 2 | 4 | 8;
for (let code = 65; code <= 90; code += 1) asciiClass[code] = 2 | 4;
for (let code = 97; code <= 122; code += 1) asciiClass[code] = 2 | 4;
asciiClass[32] = 2 | 4;
asciiClass[61] = 4 | 8; // '=' track 2 separator
asciiClass[68] = 2 | 4 | 8; // 'D' accepted as the separator on input

function classBitOf(type: FieldType | SubfieldDocument['type']): number {
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

function describeClass(type: FieldType | SubfieldDocument['type']): string {
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
function checkFreeText(value: string, field: string): void {
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
function isPrintableAscii(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/** True when every byte from start to end is printable ASCII (0x20..0x7e). */
function isPrintableAsciiBytes(buf: Buffer, start: number, end: number): boolean {
  for (let pos = start; pos < end; pos += 1) {
    const code = buf[pos] as number;
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

// ---- length prefixes ----

interface PrefixCodec {
  readonly bytes: number;
  write(length: number, writer: Writer): void;
  read(reader: Reader, field: string): number;
}

function prefixCodecFor(encoding: PrefixEncoding, digits: 2 | 3 | 4): PrefixCodec {
  switch (encoding) {
    case 'ascii':
      return {
        bytes: digits,
        write(length, writer) {
          const buf = writer.buf;
          let pos = writer.pos + digits;
          writer.pos = pos;
          let rest = length;
          for (let index = 0; index < digits; index += 1) {
            pos -= 1;
            buf[pos] = 48 + (rest % 10);
            rest = (rest - (rest % 10)) / 10;
          }
        },
        read(reader, field) {
          need(reader, digits, field, 'the length prefix');
          const buf = reader.buf;
          let length = 0;
          for (let index = 0; index < digits; index += 1) {
            const code = buf[reader.pos + index] as number;
            if (code < 48 || code > 57) badLength(field, 'the length prefix is not decimal digits');
            length = length * 10 + (code - 48);
          }
          reader.pos += digits;
          return length;
        },
      };
    case 'bcd': {
      const bytes = digits === 2 ? 1 : 2;
      return {
        bytes,
        write(length, writer) {
          const buf = writer.buf;
          if (bytes === 1) {
            buf[writer.pos] = ((length / 10) | 0) * 16 + (length % 10);
          } else {
            const high = (length / 100) | 0;
            const low = length % 100;
            buf[writer.pos] = ((high / 10) | 0) * 16 + (high % 10);
            buf[writer.pos + 1] = ((low / 10) | 0) * 16 + (low % 10);
          }
          writer.pos += bytes;
        },
        read(reader, field) {
          need(reader, bytes, field, 'the length prefix');
          let length = 0;
          for (let index = 0; index < bytes; index += 1) {
            const byte = reader.buf[reader.pos + index] as number;
            const high = byte >> 4;
            const low = byte & 0x0f;
            if (high > 9 || low > 9) badLength(field, 'the BCD length prefix holds a nibble above 9');
            length = length * 100 + high * 10 + low;
          }
          reader.pos += bytes;
          return length;
        },
      };
    }
    case 'binary': {
      const bytes = digits === 2 ? 1 : 2;
      return {
        bytes,
        write(length, writer) {
          if (bytes === 1) writer.buf[writer.pos] = length;
          else writer.buf.writeUInt16BE(length, writer.pos);
          writer.pos += bytes;
        },
        read(reader, field) {
          need(reader, bytes, field, 'the length prefix');
          const length = bytes === 1 ? (reader.buf[reader.pos] as number) : reader.buf.readUInt16BE(reader.pos);
          reader.pos += bytes;
          return length;
        },
      };
    }
  }
}

function prefixDigitsOf(lengthKind: FieldDocument['lengthKind']): 2 | 3 | 4 {
  switch (lengthKind) {
    case 'LL':
      return 2;
    case 'LLL':
      return 3;
    case 'LLLL':
      return 4;
    case 'fixed':
      throw new Error('assertion failed: a fixed field has no prefix');
  }
}

// ---- raw codecs: a string or bytes value to and from the wire, prefix included ----

/** Raw codecs take the API value and check its kind themselves, so a plain field is one call deep. */
interface RawTextCodec {
  readonly wireBytesMax: number;
  /** Set for ASCII text: the data the top-level ASCII functions need. */
  readonly asciiText?: AsciiTextSpec;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): string;
}

interface RawBytesCodec {
  readonly wireBytesMax: number;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): Buffer;
}

/** Length bounds shared by the raw codecs: fixed (exact after padding) or variable (at most max). */
interface Shape {
  readonly fixed: boolean;
  /** Fixed length or variable max, in units (digits for BCD, bytes otherwise). */
  readonly size: number;
  readonly prefix: PrefixCodec | undefined;
}

function shapeOf(document: FieldDocument): Shape {
  if (document.lengthKind === 'fixed') return { fixed: true, size: document.length as number, prefix: undefined };
  return { fixed: false, size: document.max as number, prefix: prefixCodecFor(document.prefix as PrefixEncoding, prefixDigitsOf(document.lengthKind)) };
}

function defaultPaddingOf(document: FieldDocument): 'zeros-left' | 'spaces-right' | 'none' {
  if (document.padding !== undefined) return document.padding;
  if (document.type === 'n') return 'zeros-left';
  if (document.type === 'an' || document.type === 'ans') return 'spaces-right';
  return 'none';
}

/**
 * What an ASCII text field needs at run time, as plain data: the codec calls the two top-level
 * functions below with it, so a caller that knows the field is ASCII text can call them directly
 * (one monomorphic call the compiler inlines) instead of going through the field's closure.
 */
export interface AsciiTextSpec {
  readonly field: string;
  /** Fixed length or variable max, in characters. */
  readonly size: number;
  readonly fixed: boolean;
  readonly padZerosLeft: boolean;
  readonly padSpacesRight: boolean;
  readonly padNone: boolean;
  readonly classBit: number;
  readonly classText: string;
  readonly isTrack: boolean;
  /** 2 or 3 for an ASCII decimal LL/LLL prefix written in line, 0 otherwise. */
  readonly asciiPrefixDigits: number;
  readonly prefix: PrefixCodec | undefined;
}

export function writeAsciiText(spec: AsciiTextSpec, value: IsoFieldValue, writer: Writer): void {
  const field = spec.field;
  const size = spec.size;
  if (typeof value !== 'string') badValue(field, 'a text field takes a string');
  const length = value.length;
  if (length > size) badLength(field, `${length} characters, at most ${size} allowed`);
  const buf = writer.buf;
  let pos = writer.pos;
  const digits = spec.asciiPrefixDigits;
  if (spec.fixed) {
    if (length < size && spec.padNone) badLength(field, `${length} characters, exactly ${size} required`);
    if (spec.padZerosLeft) for (let index = length; index < size; index += 1) buf[pos++] = 48;
  } else if (digits === 2) {
    buf[pos] = 48 + ((length / 10) | 0);
    buf[pos + 1] = 48 + (length % 10);
    pos += 2;
  } else if (digits === 3) {
    buf[pos] = 48 + ((length / 100) | 0);
    buf[pos + 1] = 48 + (((length / 10) | 0) % 10);
    buf[pos + 2] = 48 + (length % 10);
    pos += 3;
  } else {
    writer.pos = pos;
    (spec.prefix as PrefixCodec).write(length, writer);
    pos = writer.pos;
  }
  // The class check is folded over the whole value and tested once after the copy: the error
  // names the field and the class, never the position, so nothing is lost; what was copied
  // into the output before the throw is never handed out.
  let seen = 0;
  let classBits = spec.classBit;
  for (let index = 0; index < length; index += 1) {
    const code = value.charCodeAt(index);
    seen |= code;
    classBits &= asciiClass[code & 0x7f] as number;
    buf[pos++] = code;
  }
  if (seen >= 128 || classBits === 0) badValue(field, spec.classText);
  if (spec.isTrack) for (let index = pos - length; index < pos; index += 1) if (buf[index] === 68) buf[index] = 61;
  if (spec.padSpacesRight && spec.fixed) for (let index = length; index < size; index += 1) buf[pos++] = 32;
  writer.pos = pos;
}

export function readAsciiText(spec: AsciiTextSpec, reader: Reader): string {
  const field = spec.field;
  const size = spec.size;
  const buf = reader.buf;
  let start = reader.pos;
  let length = size;
  if (spec.asciiPrefixDigits === 2) {
    if (reader.end - start < 2) need(reader, 2, field, 'the length prefix');
    const tens = (buf[start] as number) - 48;
    const ones = (buf[start + 1] as number) - 48;
    if (tens < 0 || tens > 9 || ones < 0 || ones > 9) badLength(field, 'the length prefix is not decimal digits');
    length = tens * 10 + ones;
    start += 2;
    reader.pos = start;
    if (length > size) badLength(field, `the prefix announces ${length}, at most ${size} allowed`);
  } else if (spec.prefix !== undefined) {
    length = spec.prefix.read(reader, field);
    start = reader.pos;
    if (length > size) badLength(field, `the prefix announces ${length}, at most ${size} allowed`);
  }
  const end = start + length;
  if (end > reader.end) need(reader, length, field, 'the value');
  let seen = 0;
  let classBits = spec.classBit;
  for (let pos = start; pos < end; pos += 1) {
    const code = buf[pos] as number;
    seen |= code;
    classBits &= asciiClass[code & 0x7f] as number;
  }
  if (seen >= 128 || classBits === 0) badValue(field, spec.classText);
  reader.pos = end;
  const text = latin1Of(buf, start, end);
  return spec.isTrack && text.includes('D') ? text.replaceAll('D', '=') : text;
}

function asciiTextCodec(document: FieldDocument, shape: Shape, field: string): RawTextCodec {
  const padding = defaultPaddingOf(document);
  const prefix = shape.prefix;
  const spec: AsciiTextSpec = Object.freeze({
    field,
    size: shape.size,
    fixed: shape.fixed,
    padZerosLeft: padding === 'zeros-left',
    padSpacesRight: padding === 'spaces-right',
    padNone: padding === 'none',
    classBit: classBitOf(document.type),
    classText: describeClass(document.type),
    isTrack: document.type === 'z',
    // An ASCII decimal prefix (the common case) is written and read in line, without a call.
    asciiPrefixDigits: document.prefix === 'ascii' && prefix !== undefined && prefix.bytes <= 3 ? prefix.bytes : 0,
    prefix,
  });
  return {
    wireBytesMax: shape.size + (prefix?.bytes ?? 0),
    asciiText: spec,
    write(value, writer) {
      writeAsciiText(spec, value, writer);
    },
    read(reader) {
      return readAsciiText(spec, reader);
    },
  };
}

function charsetTextCodec(document: FieldDocument, shape: Shape, charset: 'utf8' | 'gbk', field: string): RawTextCodec {
  const size = shape.size;
  const prefix = shape.prefix;
  const fixed = shape.fixed;
  const padding = defaultPaddingOf(document);
  return {
    wireBytesMax: size + (prefix?.bytes ?? 0),
    write(value, writer) {
      if (typeof value !== 'string') badValue(field, 'a text field takes a string');
      if (isPrintableAscii(value)) {
        // Printable ASCII is the same bytes in UTF-8 and GBK and passes checkFreeText: copy it as is.
        const length = value.length;
        if (length > size) badLength(field, `${length} bytes, at most ${size} allowed`);
        if (fixed) {
          if (length < size && padding === 'none') badLength(field, `${length} bytes, exactly ${size} required`);
        } else {
          (prefix as PrefixCodec).write(length, writer);
        }
        const buf = writer.buf;
        let pos = writer.pos;
        for (let index = 0; index < length; index += 1) buf[pos++] = value.charCodeAt(index);
        if (fixed) for (let index = length; index < size; index += 1) buf[pos++] = 32;
        writer.pos = pos;
        return;
      }
      checkFreeText(value, field);
      let encoded: Buffer | undefined;
      let length: number;
      if (charset === 'utf8') {
        length = Buffer.byteLength(value, 'utf8');
      } else {
        encoded = iconv.encode(value, 'gbk');
        if (iconv.decode(encoded, 'gbk') !== value) badValue(field, 'a character has no GBK encoding');
        length = encoded.length;
      }
      if (length > size) badLength(field, `${length} bytes, at most ${size} allowed`);
      if (fixed) {
        if (length < size && padding === 'none') badLength(field, `${length} bytes, exactly ${size} required`);
      } else {
        (prefix as PrefixCodec).write(length, writer);
      }
      if (encoded === undefined) writer.buf.write(value, writer.pos, length, 'utf8');
      else writer.buf.set(encoded, writer.pos);
      writer.pos += length;
      if (fixed) for (let index = length; index < size; index += 1) writer.buf[writer.pos++] = 32;
    },
    read(reader) {
      let length = size;
      if (prefix !== undefined) {
        length = prefix.read(reader, field);
        if (length > size) badLength(field, `the prefix announces ${length}, at most ${size} allowed`);
      }
      need(reader, length, field, 'the value');
      const start = reader.pos;
      if (isPrintableAsciiBytes(reader.buf, start, start + length)) {
        // Printable ASCII decodes to the same text in UTF-8 and GBK and passes checkFreeText.
        reader.pos = start + length;
        return latin1Of(reader.buf, start, start + length);
      }
      const bytes = reader.buf.subarray(reader.pos, reader.pos + length);
      reader.pos += length;
      const text = charset === 'utf8' ? bytes.toString('utf8') : iconv.decode(bytes, 'gbk');
      if (text.includes('\ufffd')) badValue(field, `the bytes are not valid ${charset === 'utf8' ? 'UTF-8' : 'GBK'}`);
      checkFreeText(text, field);
      return text;
    },
  };
}

/** Two-digit strings for every BCD byte, undefined where a nibble is above 9. */
const bcdPairs: (string | undefined)[] = [];
for (let byte = 0; byte < 256; byte += 1) {
  bcdPairs.push((byte >> 4) <= 9 && (byte & 0x0f) <= 9 ? `${byte >> 4}${byte & 0x0f}` : undefined);
}

function bcdTextCodec(document: FieldDocument, shape: Shape, leftAligned: boolean, field: string): RawTextCodec {
  const isTrack = document.type === 'z';
  const classText = describeClass(document.type);
  const size = shape.size;
  const prefix = shape.prefix;
  const fixed = shape.fixed;
  const padding = defaultPaddingOf(document);

  function nibbleOf(code: number, field: string): number {
    if (code >= 48 && code <= 57) return code - 48;
    if (isTrack && (code === 61 || code === 68)) return 13;
    return badValue(field, classText);
  }

  function digitOf(nibble: number, field: string): string {
    if (nibble <= 9) return String.fromCharCode(48 + nibble);
    if (isTrack && nibble === 13) return '=';
    return badValue(field, `${classText} (a BCD nibble above 9)`);
  }

  return {
    wireBytesMax: Math.ceil(size / 2) + (prefix?.bytes ?? 0),
    write(value, writer) {
      if (typeof value !== 'string') badValue(field, 'a text field takes a string');
      let digits = value.length;
      if (digits > size) badLength(field, `${digits} digits, at most ${size} allowed`);
      let leadingZeros = 0;
      if (fixed) {
        if (digits < size && padding === 'none') badLength(field, `${digits} digits, exactly ${size} required`);
        leadingZeros = size - digits;
        digits = size;
      } else {
        (prefix as PrefixCodec).write(digits, writer);
      }
      const buf = writer.buf;
      const bytes = (digits + 1) >> 1;
      // With an odd count, right-aligned puts a 0 nibble first, left-aligned a 0 nibble last.
      let nibbleIndex = digits % 2 === 1 && !leftAligned ? 1 : 0;
      let pos = writer.pos;
      buf.fill(0, pos, pos + bytes);
      for (let index = 0; index < digits; index += 1) {
        const nibble = index < leadingZeros ? 0 : nibbleOf(value.charCodeAt(index - leadingZeros), field);
        if (nibbleIndex % 2 === 0) buf[pos] = nibble << 4;
        else {
          buf[pos] = (buf[pos] as number) | nibble;
          pos += 1;
        }
        nibbleIndex += 1;
      }
      writer.pos += bytes;
    },
    read(reader) {
      let digits = size;
      if (prefix !== undefined) {
        digits = prefix.read(reader, field);
        if (digits > size) badLength(field, `the prefix announces ${digits} digits, at most ${size} allowed`);
      }
      const bytes = (digits + 1) >> 1;
      need(reader, bytes, field, 'the value');
      const buf = reader.buf;
      const start = reader.pos;
      reader.pos = start + bytes;
      const odd = digits % 2 === 1;
      if (!isTrack) {
        // Fast path: whole bytes through the table, then the odd nibble.
        let text = '';
        const firstWhole = odd && !leftAligned ? start + 1 : start;
        const lastWhole = odd && leftAligned ? start + bytes - 1 : start + bytes;
        if (odd && !leftAligned) {
          const byte = buf[start] as number;
          if (byte >> 4 !== 0 && byte >> 4 !== 15) badValue(field, 'the BCD pad nibble is not 0');
          text = digitOf(byte & 0x0f, field);
        }
        for (let pos = firstWhole; pos < lastWhole; pos += 1) {
          const pair = bcdPairs[buf[pos] as number];
          if (pair === undefined) badValue(field, `${classText} (a BCD nibble above 9)`);
          text += pair;
        }
        if (odd && leftAligned) {
          const byte = buf[start + bytes - 1] as number;
          if ((byte & 0x0f) !== 0 && (byte & 0x0f) !== 15) badValue(field, 'the BCD pad nibble is not 0');
          text += digitOf(byte >> 4, field);
        }
        return text;
      }
      let text = '';
      let nibbleIndex = odd && !leftAligned ? 1 : 0;
      if (odd) {
        const padNibble = leftAligned ? (buf[start + bytes - 1] as number) & 0x0f : (buf[start] as number) >> 4;
        if (padNibble !== 0 && padNibble !== 15) badValue(field, 'the BCD pad nibble is not 0');
      }
      for (let index = 0; index < digits; index += 1) {
        const byte = buf[start + (nibbleIndex >> 1)] as number;
        text += digitOf(nibbleIndex % 2 === 0 ? byte >> 4 : byte & 0x0f, field);
        nibbleIndex += 1;
      }
      return text;
    },
  };
}

function binaryBytesCodec(shape: Shape, field: string): RawBytesCodec {
  const size = shape.size;
  const prefix = shape.prefix;
  const fixed = shape.fixed;
  return {
    wireBytesMax: size + (prefix?.bytes ?? 0),
    write(value, writer) {
      if (!(value instanceof Uint8Array)) badValue(field, 'a binary field takes bytes');
      const length = value.length;
      if (fixed ? length !== size : length > size) {
        badLength(field, fixed ? `${length} bytes, exactly ${size} required` : `${length} bytes, at most ${size} allowed`);
      }
      if (prefix !== undefined) prefix.write(length, writer);
      writer.buf.set(value, writer.pos);
      writer.pos += length;
    },
    read(reader) {
      let length = size;
      if (prefix !== undefined) {
        length = prefix.read(reader, field);
        if (length > size) badLength(field, `the prefix announces ${length} bytes, at most ${size} allowed`);
      }
      need(reader, length, field, 'the value');
      const copy = Buffer.allocUnsafe(length);
      reader.buf.copy(copy, 0, reader.pos, reader.pos + length);
      reader.pos += length;
      return copy;
    },
  };
}

function hexBytesCodec(shape: Shape, field: string): RawBytesCodec {
  const size = shape.size;
  const prefix = shape.prefix;
  const fixed = shape.fixed;
  return {
    wireBytesMax: size * 2 + (prefix?.bytes ?? 0),
    write(value, writer) {
      if (!(value instanceof Uint8Array)) badValue(field, 'a binary field takes bytes');
      const length = value.length;
      if (fixed ? length !== size : length > size) {
        badLength(field, fixed ? `${length} bytes, exactly ${size} required` : `${length} bytes, at most ${size} allowed`);
      }
      if (prefix !== undefined) prefix.write(length, writer);
      writer.pos += writer.buf.write(Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex').toUpperCase(), writer.pos, 'latin1');
    },
    read(reader) {
      let length = size;
      if (prefix !== undefined) {
        length = prefix.read(reader, field);
        if (length > size) badLength(field, `the prefix announces ${length} bytes, at most ${size} allowed`);
      }
      need(reader, length * 2, field, 'the value');
      const text = reader.buf.toString('latin1', reader.pos, reader.pos + length * 2);
      if (!isHex(text)) badValue(field, 'hex digits only');
      reader.pos += length * 2;
      return Buffer.from(text, 'hex');
    },
  };
}

// ---- composites ----

function isPlainObject(value: IsoFieldValue): value is IsoComposite {
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

function compileSubfields(subfields: readonly SubfieldDocument[]): readonly CompiledSubfield[] {
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
function joinPositional(composite: IsoComposite, subfields: readonly CompiledSubfield[], field: string, fixedLength: number | undefined): string {
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

function splitPositional(text: string, subfields: readonly CompiledSubfield[], field: string): IsoComposite {
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

// ---- the field codec ----

/** Builds the closures for one data element of a validated dialect document. */
export function compileField(de: number, document: FieldDocument): FieldCodec {
  const path = String(de);
  const shape = shapeOf(document);
  const composite = document.composite;
  if (document.type === 'b') {
    const raw = document.encoding === 'hex' ? hexBytesCodec(shape, path) : binaryBytesCodec(shape, path);
    if (composite !== undefined && composite.kind === 'tlv') {
      const bytesMax = shape.size;
      return {
        de,
        name: document.name,
        valueKind: 'tlv',
        wireBytesMax: raw.wireBytesMax,
        asciiText: undefined,
        write(value, writer) {
          if (!isPlainObject(value)) badValue(path, 'a TLV field takes an object of hex values keyed by tag');
          raw.write(encodeTlv(value, path, bytesMax), writer);
        },
        read(reader) {
          return decodeTlv(raw.read(reader), path);
        },
      };
    }
    return { de, name: document.name, valueKind: 'bytes', wireBytesMax: raw.wireBytesMax, asciiText: undefined, write: raw.write, read: raw.read };
  }
  let raw: RawTextCodec;
  switch (document.encoding) {
    case 'ascii':
      raw = asciiTextCodec(document, shape, path);
      break;
    case 'utf8':
    case 'gbk':
      raw = charsetTextCodec(document, shape, document.encoding, path);
      break;
    case 'bcd-left':
    case 'bcd-right':
      raw = bcdTextCodec(document, shape, document.encoding === 'bcd-left', path);
      break;
    case 'binary':
    case 'hex':
      throw new Error(`assertion failed: a ${document.type} field cannot be ${document.encoding}`);
  }
  if (composite !== undefined && composite.kind === 'positional') {
    const subfields = compileSubfields(composite.subfields);
    const fixedLength = shape.fixed ? shape.size : undefined;
    return {
      de,
      name: document.name,
      valueKind: 'positional',
      wireBytesMax: raw.wireBytesMax,
      asciiText: undefined,
      write(value, writer) {
        if (!isPlainObject(value)) badValue(path, 'a positional field takes an object of sub-field texts');
        raw.write(joinPositional(value, subfields, path, fixedLength), writer);
      },
      read(reader) {
        return splitPositional(raw.read(reader), subfields, path);
      },
    };
  }
  // A plain field is its raw codec: no wrapper call on the hot path.
  return { de, name: document.name, valueKind: 'text', wireBytesMax: raw.wireBytesMax, asciiText: raw.asciiText, write: raw.write, read: raw.read };
}

