// Length axis of a field: fixed, or variable with an LL, LLL or LLLL prefix written as ASCII digits,
// BCD (one byte for LL, two for LLL/LLLL) or binary (one or two bytes big-endian). A field's Shape is
// its bound (exact length or maximum) and its prefix codec.
import type { FieldDocument, PrefixEncoding } from './dialect-document.ts';
import { badLength, need, type Reader, type Writer } from './field-cursor.ts';

export interface PrefixCodec {
  readonly bytes: number;
  write(length: number, writer: Writer): void;
  read(reader: Reader, field: string): number;
}

export function prefixCodecFor(encoding: PrefixEncoding, digits: 2 | 3 | 4): PrefixCodec {
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

/** Length bounds shared by the raw codecs: fixed (exact after padding) or variable (at most max). */
export interface Shape {
  readonly fixed: boolean;
  /** Fixed length or variable max, in units (digits for BCD, bytes otherwise). */
  readonly size: number;
  readonly prefix: PrefixCodec | undefined;
}

export function shapeOf(document: FieldDocument): Shape {
  if (document.lengthKind === 'fixed') return { fixed: true, size: document.length as number, prefix: undefined };
  return { fixed: false, size: document.max as number, prefix: prefixCodecFor(document.prefix as PrefixEncoding, prefixDigitsOf(document.lengthKind)) };
}
