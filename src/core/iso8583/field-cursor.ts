// The cursors the field codecs write and read through, the fast text of validated ASCII bytes, and
// the codec's errors: the path names the field, the reason never quotes the value.
import { ReswipeError } from '../errors/reswipe-error.ts';

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

export function badValue(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field, reason });
}

export function badLength(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_LENGTH', { field, reason });
}

function truncated(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_TRUNCATED', { field, reason });
}

export function need(reader: Reader, count: number, field: string, what: string): void {
  if (reader.end - reader.pos < count) truncated(field, `${what} needs ${count} bytes, ${reader.end - reader.pos} left`);
}
