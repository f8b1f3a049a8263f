import type { Dialect, IsoMessage } from './iso-message.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
export function packMessage(dialect: Dialect, message: IsoMessage): Buffer {
  void message;
  throw new ReswipeError('RSW_INTERNAL', { detail: `codec not yet written (${dialect.name})` });
}
export function unpackMessage(dialect: Dialect, bytes: Uint8Array): IsoMessage {
  void bytes;
  throw new ReswipeError('RSW_INTERNAL', { detail: `codec not yet written (${dialect.name})` });
}
