// ISO 9564-1 format 0 PIN blocks (ANSI X9.8, "with the account number"), the only format reswipe
// translates. The PIN field is `0`, the PIN length (4-12) as one hex digit, the PIN digits and `F`
// fill; the account field is zeros then the 12 rightmost PAN digits without the check digit; the
// block is their XOR. Triple DES uses the 8-byte block; SM4 terminals use the same layout widened to
// 16 bytes (PIN field filled with `F` to 32 digits, account field with 20 leading zeros), as CUPS SM4
// PIN pads and HSMs do. Pure: nothing here logs, and the PIN digits never leave this module except
// inside a block (formatPinBlock exists for terminals, emulators and tests, which hold the PIN anyway).
import { xorBytes } from './block-cipher.ts';

export const pinDigitsMin = 4;
export const pinDigitsMax = 12;

/** The 12 account digits of format 0: the 12 rightmost PAN digits, check digit excluded, left-filled with zeros. */
export function accountNumber12Of(pan: string): string {
  if (!/^[0-9]{2,19}$/.test(pan)) throw new RangeError('a PAN is 2 to 19 digits');
  return pan.slice(0, -1).slice(-12).padStart(12, '0');
}

function accountField(accountNumber12: string, blockBytes: 8 | 16): Buffer {
  if (!/^[0-9]{12}$/.test(accountNumber12)) throw new RangeError('the account number of a format 0 PIN block is 12 digits');
  return Buffer.from(accountNumber12.padStart(blockBytes * 2, '0'), 'hex');
}

/** The clear format 0 PIN block for a PIN and account number (8 bytes for triple DES, 16 for SM4). */
export function formatPinBlock(pin: string, accountNumber12: string, blockBytes: 8 | 16): Buffer {
  if (!/^[0-9]+$/.test(pin) || pin.length < pinDigitsMin || pin.length > pinDigitsMax) throw new RangeError(`a PIN is ${pinDigitsMin} to ${pinDigitsMax} digits`);
  const pinField = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(blockBytes * 2, 'F'), 'hex');
  return xorBytes(pinField, accountField(accountNumber12, blockBytes));
}

/** Why a decrypted block is not a format 0 PIN block for this account; never the PIN or the block. */
export type PinBlockProblem = 'not_format_0' | 'bad_pin_length' | 'bad_pin_digit' | 'bad_fill';

/**
 * Re-forms a clear format 0 block for another block size (or the same), after checking it: what an HSM
 * does between decrypting under one key and encrypting under the next. Returns a problem instead when
 * the block is not format 0 for this account (the wrong key, a corrupt block, another account).
 */
export function reformPinBlock(clearBlock: Uint8Array, accountNumber12: string, targetBytes: 8 | 16): { kind: 'formed'; block: Buffer } | { kind: 'invalid'; problem: PinBlockProblem } {
  if (clearBlock.length !== 8 && clearBlock.length !== 16) return { kind: 'invalid', problem: 'not_format_0' };
  // The clear PIN field stays a local of this function: it is checked, re-formed and dropped.
  const pinField = xorBytes(clearBlock, accountField(accountNumber12, clearBlock.length as 8 | 16)).toString('hex').toUpperCase();
  if (pinField[0] !== '0') return { kind: 'invalid', problem: 'not_format_0' };
  const length = Number.parseInt(pinField[1] ?? 'X', 16);
  if (!(length >= pinDigitsMin && length <= pinDigitsMax)) return { kind: 'invalid', problem: 'bad_pin_length' };
  const pin = pinField.slice(2, 2 + length);
  if (!/^[0-9]+$/.test(pin)) return { kind: 'invalid', problem: 'bad_pin_digit' };
  if (!/^F*$/.test(pinField.slice(2 + length))) return { kind: 'invalid', problem: 'bad_fill' };
  return { kind: 'formed', block: formatPinBlock(pin, accountNumber12, targetBytes) };
}
