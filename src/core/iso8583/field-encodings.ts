// Encoding axis of a field: how its value becomes bytes. Text as ASCII (the hot path, no temporary
// strings), UTF-8 or GBK (iconv-lite), or BCD packed digits left- or right-aligned; bytes as binary
// or as hex text. Each raw codec writes and reads the value with its length prefix (length-prefixes.ts)
// and checks the characters against the field's kind (field-kinds.ts) both ways.
import iconv from 'iconv-lite';
import type { FieldDocument } from './dialect-document.ts';
import { isHex } from './dialect-document.ts';
import { badLength, badValue, latin1Of as latin1OfImported, need, type Reader, type Writer } from './field-cursor.ts';
import { asciiClass as asciiClassImported, checkFreeText, classBitOf, defaultPaddingOf, describeClass, isPrintableAscii, isPrintableAsciiBytes } from './field-kinds.ts';
import type { IsoFieldValue } from './iso-message.ts';
import type { PrefixCodec, Shape } from './length-prefixes.ts';

// The per-character loops read these as module constants, not through the import bindings: V8 checks
// an imported binding on every read, which cost the ASCII path about 7 % in bench:iso.
const asciiClass = asciiClassImported;
const latin1Of = latin1OfImported;

/** Raw codecs take the API value and check its kind themselves, so a plain field is one call deep. */
export interface RawTextCodec {
  readonly wireBytesMax: number;
  /** Set for ASCII text: the data the top-level ASCII functions need. */
  readonly asciiText?: AsciiTextSpec;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): string;
}

export interface RawBytesCodec {
  readonly wireBytesMax: number;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): Buffer;
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

export function asciiTextCodec(document: FieldDocument, shape: Shape, field: string): RawTextCodec {
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

export function charsetTextCodec(document: FieldDocument, shape: Shape, charset: 'utf8' | 'gbk', field: string): RawTextCodec {
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

export function bcdTextCodec(document: FieldDocument, shape: Shape, leftAligned: boolean, field: string): RawTextCodec {
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

export function binaryBytesCodec(shape: Shape, field: string): RawBytesCodec {
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

export function hexBytesCodec(shape: Shape, field: string): RawBytesCodec {
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
