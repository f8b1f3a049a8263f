import type { FramingKind } from './iso-message.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
export function encodeFrame(framing: FramingKind, payload: Uint8Array): Buffer {
  void payload;
  throw new ReswipeError('RSW_INTERNAL', { detail: `framing not yet written (${framing})` });
}
export class FrameDecoder {
  readonly #framing: FramingKind;
  constructor(options: { framing: FramingKind; frameBytesMax: number }) {
    this.#framing = options.framing;
  }
  push(chunk: Uint8Array): Buffer[] {
    void chunk;
    throw new ReswipeError('RSW_INTERNAL', { detail: `framing not yet written (${this.#framing})` });
  }
  get bufferedBytes(): number {
    return 0;
  }
}
