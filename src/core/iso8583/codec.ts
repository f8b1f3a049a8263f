// Packs and unpacks whole messages with a compiled dialect: TPDU, header, MTI, bitmap(s), then
// each data element in ascending order through its compiled closures.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { compiledOf, type CompiledDialect } from './compiled-dialect.ts';
import type { FieldCodec } from './field-codec.ts';
import { latin1Of, type Reader, type Writer } from './field-cursor.ts';
import { readAsciiText, writeAsciiText } from './field-encodings.ts';
import type { Dialect, IsoFieldValue, IsoMessage } from './iso-message.ts';

const hexDigits = '0123456789ABCDEF';
// Reused between calls: pack and unpack are synchronous, so no two calls ever share them at once.
const writer: Writer = { buf: Buffer.alloc(0), pos: 0 };
// Messages are packed straight into a shared slab and handed out as views of it, the way
// Buffer.allocUnsafe hands out views of Node's 8 KiB pool: no copy per message. A new slab is
// taken when the room left could not hold the dialect's largest message plus one field; a slab
// holds at least four such messages. A view keeps its slab alive, as a pooled Buffer does.
const slabBytes = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabPos = 0;
const bitmapBytes = new Uint8Array(16);
const emptyBuffer = Buffer.alloc(0);
// Reused by unpack; it drops its reference to the input when done so card data is not kept alive.
const reader: Reader = { buf: emptyBuffer, pos: 0, end: 0 };
const unpackBitmap = new Uint8Array(16);

function missing(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_MISSING_PART', { field, reason });
}

function tooLarge(dialect: CompiledDialect, field: string): never {
  throw new ReswipeError('RSW_CODEC_MESSAGE_TOO_LARGE', { field, bytesMax: dialect.messageBytesMax });
}

function isFourDigits(mti: unknown): mti is string {
  if (typeof mti !== 'string' || mti.length !== 4) return false;
  for (let index = 0; index < 4; index += 1) {
    const code = mti.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** The message as bytes, WITHOUT the frame length prefix, with TPDU and header when the dialect has them. */
export function packMessage(dialect: Dialect, message: IsoMessage): Buffer {
  const compiled = compiledOf(dialect);
  if (slab.length - slabPos < compiled.packRoomBytes) {
    slab = Buffer.allocUnsafeSlow(Math.max(slabBytes, 4 * compiled.packRoomBytes));
    slabPos = 0;
  }
  const buf = slab;
  const base = slabPos;
  writer.buf = buf;
  writer.pos = base;

  if (compiled.tpduLength > 0) {
    const tpdu = message.tpdu ?? compiled.tpduDefault;
    if (tpdu === undefined) missing('tpdu', `the dialect needs a ${compiled.tpduLength}-byte TPDU`);
    if (!(tpdu instanceof Uint8Array) || tpdu.length !== compiled.tpduLength) {
      throw new ReswipeError('RSW_CODEC_BAD_LENGTH', { field: 'tpdu', reason: `the TPDU must be ${compiled.tpduLength} bytes` });
    }
    buf.set(tpdu, base);
    writer.pos = base + tpdu.length;
  }
  if (compiled.headerLength > 0) {
    const header = message.header ?? compiled.headerDefault;
    if (header === undefined) missing('header', `the dialect needs a ${compiled.headerLength}-character header`);
    writeHeader(compiled, header);
  }

  const mti = message.mti;
  if (!isFourDigits(mti)) throw new ReswipeError('RSW_CODEC_BAD_MTI', { field: 'mti', reason: 'the MTI must be 4 digits' });
  if (compiled.isMtiBcd) {
    buf[writer.pos] = (mti.charCodeAt(0) - 48) * 16 + (mti.charCodeAt(1) - 48);
    buf[writer.pos + 1] = (mti.charCodeAt(2) - 48) * 16 + (mti.charCodeAt(3) - 48);
    writer.pos += 2;
  } else {
    for (let index = 0; index < 4; index += 1) buf[writer.pos + index] = mti.charCodeAt(index);
    writer.pos += 4;
  }

  // Fields are found by walking the dialect's own list, not the message's keys, which avoids
  // turning numbers into strings and back; a cheap walk over the numbers the dialect lacks first
  // catches fields it does not define.
  for (let index = 0; index < 16; index += 1) bitmapBytes[index] = 0;
  const fields = message.fields;
  const undefinedNumbers = compiled.undefinedNumbers;
  for (let index = 0; index < undefinedNumbers.length; index += 1) {
    const de = undefinedNumbers[index] as number;
    if (fields[de] !== undefined) throw new ReswipeError('RSW_CODEC_FIELD_NOT_IN_DIALECT', { field: String(de), dialect: compiled.name });
  }
  const definedFields = compiled.definedFields;
  // The highest present field decides whether the secondary bitmap is sent; the bitmap's room is
  // reserved now and its bits written once the fields are in.
  let highest = 0;
  for (let index = definedFields.length - 1; index >= 0; index -= 1) {
    const de = (definedFields[index] as FieldCodec).de;
    if (fields[de] !== undefined) {
      highest = de;
      break;
    }
  }
  const bitmapCount = highest > 64 ? 16 : 8;
  const bitmapAt = writer.pos;
  writer.pos += compiled.isBitmapHex ? bitmapCount * 2 : bitmapCount;

  for (let index = 0; index < definedFields.length; index += 1) {
    const codec = definedFields[index] as FieldCodec;
    const de = codec.de;
    const value = fields[de];
    if (value === undefined) continue;
    bitmapBytes[(de - 1) >> 3] = (bitmapBytes[(de - 1) >> 3] as number) | (0x80 >> ((de - 1) & 7));
    // ASCII text, most of a message, goes through one monomorphic call the compiler inlines.
    const asciiText = codec.asciiText;
    if (asciiText !== undefined) writeAsciiText(asciiText, value, writer);
    else codec.write(value, writer);
    if (writer.pos - base > compiled.messageBytesMax) tooLarge(compiled, String(de));
  }

  if (bitmapCount === 16) bitmapBytes[0] = (bitmapBytes[0] as number) | 0x80;
  if (compiled.isBitmapHex) {
    for (let index = 0; index < bitmapCount; index += 1) {
      const byte = bitmapBytes[index] as number;
      buf[bitmapAt + index * 2] = hexDigits.charCodeAt(byte >> 4);
      buf[bitmapAt + index * 2 + 1] = hexDigits.charCodeAt(byte & 0x0f);
    }
  } else {
    for (let index = 0; index < bitmapCount; index += 1) buf[bitmapAt + index] = bitmapBytes[index] as number;
  }
  const end = writer.pos;
  // Eight-byte aligned like Node's pool, so a view's offset suits any typed array over it.
  slabPos = (end + 7) & ~7;
  return buf.subarray(base, end);
}

function writeHeader(compiled: CompiledDialect, header: string): void {
  const length = compiled.headerLength;
  if (typeof header !== 'string' || header.length !== length) {
    throw new ReswipeError('RSW_CODEC_BAD_LENGTH', { field: 'header', reason: `the header must be ${length} characters` });
  }
  const buf = writer.buf;
  if (compiled.isHeaderBcd) {
    for (let index = 0; index < length; index += 2) {
      const high = header.charCodeAt(index) - 48;
      const low = header.charCodeAt(index + 1) - 48;
      if (high < 0 || high > 9 || low < 0 || low > 9) throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field: 'header', reason: 'a BCD header takes digits only' });
      buf[writer.pos++] = high * 16 + low;
    }
  } else {
    for (let index = 0; index < length; index += 1) {
      const code = header.charCodeAt(index);
      if (code < 0x20 || code > 0x7e) throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field: 'header', reason: 'printable ASCII only' });
      buf[writer.pos++] = code;
    }
  }
}

function truncated(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_TRUNCATED', { field, reason });
}

function badBitmap(reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_BITMAP', { field: 'bitmap', reason });
}

function hexValueOf(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Parses one message (no frame length prefix). Throws ReswipeError RSW_CODEC_* naming the field. */
export function unpackMessage(dialect: Dialect, bytes: Uint8Array): IsoMessage {
  try {
    return unpackWith(compiledOf(dialect), bytes, null);
  } finally {
    reader.buf = emptyBuffer;
  }
}

/** Where a message's parts sit in its bytes: the MTI's first byte, and one field's bytes (prefix included) if present. */
export interface MessageLayout {
  mtiAt: number;
  field: { start: number; end: number } | null;
}

/**
 * Parses one message like unpackMessage and also says where the MTI starts and where field `de` lies
 * in `bytes`: what a MAC over the bytes as sent needs (src/core/crypto/terminal-mac.ts).
 */
export function unpackMessageLocating(dialect: Dialect, bytes: Uint8Array, de: number): { message: IsoMessage; layout: MessageLayout } {
  const layout: MessageLayout & { de: number } = { de, mtiAt: 0, field: null };
  try {
    const message = unpackWith(compiledOf(dialect), bytes, layout);
    return { message, layout: { mtiAt: layout.mtiAt, field: layout.field } };
  } finally {
    reader.buf = emptyBuffer;
  }
}

function unpackWith(compiled: CompiledDialect, bytes: Uint8Array, locate: (MessageLayout & { de: number }) | null): IsoMessage {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > compiled.messageBytesMax) {
    throw new ReswipeError('RSW_CODEC_MESSAGE_TOO_LARGE', { field: 'message', bytesMax: compiled.messageBytesMax });
  }
  reader.buf = buf;
  reader.pos = 0;
  reader.end = buf.length;
  let tpdu: Buffer | undefined;
  let header: string | undefined;
  if (compiled.tpduLength > 0) {
    if (reader.end < compiled.tpduLength) truncated('tpdu', `the TPDU needs ${compiled.tpduLength} bytes`);
    tpdu = Buffer.allocUnsafe(compiled.tpduLength);
    buf.copy(tpdu, 0, 0, compiled.tpduLength);
    reader.pos = compiled.tpduLength;
  }
  if (compiled.headerLength > 0) header = readHeader(compiled, reader);
  if (locate !== null) locate.mtiAt = reader.pos;

  let mti: string;
  if (compiled.isMtiBcd) {
    if (reader.end - reader.pos < 2) truncated('mti', 'the MTI needs 2 bytes');
    const high = buf[reader.pos] as number;
    const low = buf[reader.pos + 1] as number;
    if (high >> 4 > 9 || (high & 15) > 9 || low >> 4 > 9 || (low & 15) > 9) {
      throw new ReswipeError('RSW_CODEC_BAD_MTI', { field: 'mti', reason: 'the BCD MTI holds a nibble above 9' });
    }
    mti = String.fromCharCode(48 + (high >> 4), 48 + (high & 15), 48 + (low >> 4), 48 + (low & 15));
    reader.pos += 2;
  } else {
    if (reader.end - reader.pos < 4) truncated('mti', 'the MTI needs 4 bytes');
    for (let index = 0; index < 4; index += 1) {
      const code = buf[reader.pos + index] as number;
      if (code < 48 || code > 57) throw new ReswipeError('RSW_CODEC_BAD_MTI', { field: 'mti', reason: 'the MTI must be 4 ASCII digits' });
    }
    mti = latin1Of(buf, reader.pos, reader.pos + 4);
    reader.pos += 4;
  }

  // Not cleared between calls: the primary half is always overwritten, the secondary half only read when bit 1 says it was.
  const bitmap = unpackBitmap;
  readBitmapPart(compiled, reader, bitmap, 0);
  if (((bitmap[0] as number) & 0x80) !== 0) {
    if (!compiled.hasSecondaryBitmap) badBitmap('bit 1 announces a secondary bitmap, which this dialect does not use');
    readBitmapPart(compiled, reader, bitmap, 8);
    if (((bitmap[8] as number) & 0x80) !== 0) {
      // Bit 65 is the tertiary bitmap indicator; only a dialect that defines DE 65 may set it, and none may (validator).
      throw new ReswipeError('RSW_CODEC_FIELD_NOT_IN_DIALECT', { field: '65', dialect: compiled.name });
    }
  }

  const fields: Record<number, IsoFieldValue> = {};
  const bitmapCount = ((bitmap[0] as number) & 0x80) !== 0 ? 16 : 8;
  // Claiming the highest field first sizes the object's element store once instead of growing it
  // field by field (a fifth of the unpack time otherwise); the placeholder is overwritten below.
  const highestDe = highestBitOf(bitmap, bitmapCount);
  if (highestDe > 1) fields[highestDe] = '';
  let lastDe = 0;
  for (let byteIndex = 0; byteIndex < bitmapCount; byteIndex += 1) {
    const byte = bitmap[byteIndex] as number;
    if (byte === 0) continue;
    // Visit only the set bits, in ascending order: clz32 finds each in one step.
    for (let rest = byteIndex === 0 ? byte & 0x7f : byte; rest !== 0; rest &= ~(0x80000000 >>> Math.clz32(rest))) {
      const de = byteIndex * 8 + Math.clz32(rest) - 23;
      const codec = compiled.fields[de];
      if (codec === undefined) throw new ReswipeError('RSW_CODEC_FIELD_NOT_IN_DIALECT', { field: String(de), dialect: compiled.name });
      const asciiText = codec.asciiText;
      const start = reader.pos;
      fields[de] = asciiText !== undefined ? readAsciiText(asciiText, reader) : codec.read(reader);
      if (locate !== null && de === locate.de) locate.field = { start, end: reader.pos };
      lastDe = de;
    }
  }
  if (reader.pos !== reader.end) {
    throw new ReswipeError('RSW_CODEC_TRAILING_BYTES', { field: lastDe === 0 ? 'bitmap' : String(lastDe), count: reader.end - reader.pos });
  }
  const message: IsoMessage = { mti, fields };
  if (tpdu !== undefined) message.tpdu = tpdu;
  if (header !== undefined) message.header = header;
  return message;
}

/** The highest data element number set in the bitmap, 0 when none. */
function highestBitOf(bitmap: Uint8Array, bitmapCount: number): number {
  for (let byteIndex = bitmapCount - 1; byteIndex >= 0; byteIndex -= 1) {
    const byte = bitmap[byteIndex] as number;
    if (byte === 0) continue;
    for (let bit = 7; bit >= 0; bit -= 1) if ((byte & (0x80 >> bit)) !== 0) return byteIndex * 8 + bit + 1;
  }
  return 0;
}

function readBitmapPart(compiled: CompiledDialect, reader: Reader, bitmap: Uint8Array, offset: number): void {
  const buf = reader.buf;
  if (compiled.isBitmapHex) {
    if (reader.end - reader.pos < 16) truncated('bitmap', 'a hex bitmap needs 16 characters');
    for (let index = 0; index < 8; index += 1) {
      const high = hexValueOf(buf[reader.pos + index * 2] as number);
      const low = hexValueOf(buf[reader.pos + index * 2 + 1] as number);
      if (high < 0 || low < 0) badBitmap('the hex bitmap holds a character that is not hex');
      bitmap[offset + index] = high * 16 + low;
    }
    reader.pos += 16;
  } else {
    if (reader.end - reader.pos < 8) truncated('bitmap', 'a binary bitmap needs 8 bytes');
    const pos = reader.pos;
    for (let index = 0; index < 8; index += 1) bitmap[offset + index] = buf[pos + index] as number;
    reader.pos = pos + 8;
  }
}

function readHeader(compiled: CompiledDialect, reader: Reader): string {
  const length = compiled.headerLength;
  const buf = reader.buf;
  if (compiled.isHeaderBcd) {
    const bytes = length / 2;
    if (reader.end - reader.pos < bytes) truncated('header', `the header needs ${bytes} bytes`);
    let text = '';
    for (let index = 0; index < bytes; index += 1) {
      const byte = buf[reader.pos + index] as number;
      if (byte >> 4 > 9 || (byte & 15) > 9) throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field: 'header', reason: 'the BCD header holds a nibble above 9' });
      text += String.fromCharCode(48 + (byte >> 4), 48 + (byte & 15));
    }
    reader.pos += bytes;
    return text;
  }
  if (reader.end - reader.pos < length) truncated('header', `the header needs ${length} bytes`);
  for (let index = 0; index < length; index += 1) {
    const code = buf[reader.pos + index] as number;
    if (code < 0x20 || code > 0x7e) throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field: 'header', reason: 'printable ASCII only' });
  }
  const text = buf.toString('latin1', reader.pos, reader.pos + length);
  reader.pos += length;
  return text;
}
