import type { Dialect, IsoMessage } from './iso-message.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
export function describeMessage(message: IsoMessage, options: { reveal?: boolean } = {}): Record<string, unknown> {
  void options;
  throw new ReswipeError('RSW_INTERNAL', { detail: `describe not yet written (${message.mti})` });
}
export function messageFromJson(dialect: Dialect, json: Record<string, unknown>): IsoMessage {
  void json;
  throw new ReswipeError('RSW_INTERNAL', { detail: `messageFromJson not yet written (${dialect.name})` });
}
