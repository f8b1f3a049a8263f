// TCP stream framing: each message is preceded by its length, as 2 binary bytes (big-endian) or
// 4 ASCII digits. The decoder copes with partial reads and many frames per chunk, and never holds
// more than one frame's worth of bytes: the length is checked against frameBytesMax as soon as the
// prefix is complete, before any payload is buffered.
import { ReswipeError } from '../errors/reswipe-error.ts';
import type { FramingKind } from './iso-message.ts';

function prefixBytesOf(framing: FramingKind): number {
  switch (framing) {
    case 'binary2':
      return 2;
    case 'ascii4':
      return 4;
  }
}

function prefixMaxOf(framing: FramingKind): number {
  switch (framing) {
    case 'binary2':
      return 0xffff;
    case 'ascii4':
      return 9999;
  }
}

/** The payload with its length prefix. */
export function encodeFrame(framing: FramingKind, payload: Uint8Array): Buffer {
  const length = payload.length;
  if (length === 0) throw new ReswipeError('RSW_FRAME_BAD_LENGTH', { reason: 'an empty frame' });
  if (length > prefixMaxOf(framing)) throw new ReswipeError('RSW_FRAME_TOO_LARGE', { length, frameBytesMax: prefixMaxOf(framing) });
  const prefixBytes = prefixBytesOf(framing);
  const frame = Buffer.allocUnsafe(prefixBytes + length);
  switch (framing) {
    case 'binary2':
      frame.writeUInt16BE(length, 0);
      break;
    case 'ascii4':
      frame.write(String(length).padStart(4, '0'), 0, 'latin1');
      break;
  }
  frame.set(payload, prefixBytes);
  return frame;
}

/**
 * Splits a TCP byte stream into frame payloads. After a protocol error the decoder stays failed
 * (every later push throws the same error): the connection must be closed, as the stream position
 * can no longer be trusted.
 */
export class FrameDecoder {
  readonly #framing: FramingKind;
  readonly #prefixBytes: number;
  readonly #frameBytesMax: number;
  /** The length prefix being assembled (a prefix can arrive split across reads). */
  readonly #prefix: Buffer;
  /**
   * The frame being assembled when it arrives split across reads, allocated at its announced length
   * once the prefix is complete; null otherwise. Not allocated at frameBytesMax up front: with 1,000
   * terminal connections that was 4 MB held by idle connections (docs/benchmarks.md).
   */
  #frame: Buffer | null = null;
  /** Bytes held of the prefix (while #frameBytes < 0) or of the frame being assembled. */
  #pendingBytes = 0;
  /** The current frame's payload length once its prefix is complete, else -1. */
  #frameBytes = -1;
  #failure: ReswipeError | undefined;

  constructor(options: { framing: FramingKind; frameBytesMax: number }) {
    const { framing, frameBytesMax } = options;
    this.#framing = framing;
    this.#prefixBytes = prefixBytesOf(framing);
    if (!Number.isInteger(frameBytesMax) || frameBytesMax < 1 || frameBytesMax > prefixMaxOf(framing)) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'frameBytesMax', reason: `must be an integer from 1 to ${prefixMaxOf(framing)} for ${framing} framing` });
    }
    this.#frameBytesMax = frameBytesMax;
    this.#prefix = Buffer.alloc(this.#prefixBytes);
  }

  /** Bytes held of an incomplete frame (never more than the prefix plus frameBytesMax). */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /** Feeds bytes from the stream; returns the payloads of every frame completed by them, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failure !== undefined) throw this.#failure;
    const frames: Buffer[] = [];
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.#frameBytes < 0) {
        const take = Math.min(this.#prefixBytes - this.#pendingBytes, end - pos);
        this.#prefix.set(chunk.subarray(pos, pos + take), this.#pendingBytes);
        this.#pendingBytes += take;
        pos += take;
        if (this.#pendingBytes < this.#prefixBytes) break;
        this.#frameBytes = this.#readPrefix();
        this.#pendingBytes = 0;
      }
      if (this.#frame === null && end - pos >= this.#frameBytes) {
        // The whole frame is in this chunk (the usual case): copied out once, never buffered.
        frames.push(Buffer.from(chunk.subarray(pos, pos + this.#frameBytes)));
        pos += this.#frameBytes;
        this.#frameBytes = -1;
        continue;
      }
      this.#frame ??= Buffer.allocUnsafe(this.#frameBytes);
      const take = Math.min(this.#frameBytes - this.#pendingBytes, end - pos);
      this.#frame.set(chunk.subarray(pos, pos + take), this.#pendingBytes);
      this.#pendingBytes += take;
      pos += take;
      if (this.#pendingBytes === this.#frameBytes) {
        frames.push(this.#frame);
        this.#frame = null;
        this.#pendingBytes = 0;
        this.#frameBytes = -1;
      }
    }
    return frames;
  }

  /** True when no partial frame is held: the stream ended on a frame boundary. */
  get isIdle(): boolean {
    return this.#pendingBytes === 0 && this.#frameBytes < 0;
  }

  #readPrefix(): number {
    let length: number;
    switch (this.#framing) {
      case 'binary2':
        length = this.#prefix.readUInt16BE(0);
        break;
      case 'ascii4': {
        length = 0;
        for (let index = 0; index < 4; index += 1) {
          const code = this.#prefix[index] as number;
          if (code < 48 || code > 57) this.#fail(new ReswipeError('RSW_FRAME_BAD_LENGTH', { reason: 'the 4-character length prefix is not decimal digits' }));
          length = length * 10 + (code - 48);
        }
        break;
      }
    }
    if (length === 0) this.#fail(new ReswipeError('RSW_FRAME_BAD_LENGTH', { reason: 'a zero-length frame' }));
    if (length > this.#frameBytesMax) this.#fail(new ReswipeError('RSW_FRAME_TOO_LARGE', { length, frameBytesMax: this.#frameBytesMax }));
    return length;
  }

  #fail(error: ReswipeError): never {
    this.#failure = error;
    this.#frame = null;
    this.#pendingBytes = 0;
    this.#frameBytes = -1;
    throw error;
  }
}
