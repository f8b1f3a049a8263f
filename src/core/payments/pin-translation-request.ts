// Which PIN translation an upstream request needs, decided from the request itself: a request with a
// PIN block (DE 52) must have it re-encrypted from the terminal's PIN key (DE 41) to the channel's
// zone PIN key before it leaves, bound to the card's account number (DE 2, or DE 35 when only the
// track was sent). Pure: the HSM call is the caller's (pin-translating-channel.ts).
import { getText, type IsoMessage } from '../iso8583/index.ts';
import { accountNumber12Of } from '../crypto/pin-block.ts';
import { terminalPinKeyRef, type HsmKeyRef, type PinTranslationRequest } from '../ports/hsm.ts';

export type PinTranslationNeed =
  /** No PIN block: the request goes as it is. */
  | { kind: 'none' }
  | { kind: 'translate'; request: PinTranslationRequest }
  /** A PIN block that cannot be translated: the request must not leave (a PIN is never sent under the terminal's key). */
  | { kind: 'refuse'; reason: 'no_zone_pin_key' | 'no_account_number' | 'no_terminal_id' };

/** What to do with DE 52 of `message` before it is sent on a channel whose zone PIN key is `zonePinKeyRef` (undefined: none configured). */
export function pinTranslationNeedOf(message: IsoMessage, zonePinKeyRef: HsmKeyRef | undefined): PinTranslationNeed {
  const pinBlock = message.fields[52];
  if (!(pinBlock instanceof Uint8Array)) return { kind: 'none' };
  if (zonePinKeyRef === undefined) return { kind: 'refuse', reason: 'no_zone_pin_key' };
  const terminalId = (getText(message, 41) ?? '').trim();
  if (terminalId === '') return { kind: 'refuse', reason: 'no_terminal_id' };
  const pan = getText(message, 2) ?? /^([0-9]{2,19})[=D]/.exec(getText(message, 35) ?? '')?.[1];
  if (pan === undefined || !/^[0-9]{2,19}$/.test(pan)) return { kind: 'refuse', reason: 'no_account_number' };
  return {
    kind: 'translate',
    request: {
      pinBlock,
      accountNumber12: accountNumber12Of(pan),
      source: { keyRef: terminalPinKeyRef(terminalId), format: 'iso-0' },
      destination: { keyRef: zonePinKeyRef, format: 'iso-0' },
    },
  };
}
