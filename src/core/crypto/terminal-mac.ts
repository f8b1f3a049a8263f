// The MAC of a whole terminal message, over its bytes as they travel.
//
// MAC element block (MAB): every byte from the MTI to the end of the message, leaving out the eight
// bytes of the MAC field itself (and the TPDU and header in front of the MTI). For a message whose
// MAC is its last field that is exactly "MTI through the field before the MAC", the CUPS and ISO
// definition; a cups-pos message with DE 90 (a reswipe extension after DE 64) keeps DE 90 under the
// MAC instead of leaving it unprotected.
//
// Where the MAC goes: cups-pos always uses DE 64 (the dialect has no DE 128); other dialects use
// DE 64, or DE 128 when the message has a secondary bitmap (a field above 64), as ISO 8583 has it.
// Which MAC: cups-pos uses the CUPS POS MAC (cups-pos-mac.ts); other dialects use the retail MAC
// (ANSI X9.19, or SM4 CBC-MAC for SM4 terminals; retail-mac.ts).
import { packMessage, unpackMessageLocating, type Dialect, type IsoMessage } from '../iso8583/index.ts';
import type { KeyAlgorithm } from './block-cipher.ts';
import { cupsPosMac } from './cups-pos-mac.ts';
import { retailMac } from './retail-mac.ts';

/** Per listener: `required` refuses a financial request without a good MAC, `optional` checks one when present, `off` ignores MACs. */
export type MacMode = 'required' | 'optional' | 'off';
export const macModes: readonly MacMode[] = Object.freeze(['required', 'optional', 'off']);

/** The MAC mode a listener runs with: as configured, else `required`, relaxed to `optional` only in development mode. */
export function resolveMacMode(configured: MacMode | undefined, developmentMode: boolean): MacMode {
  return configured ?? (developmentMode ? 'optional' : 'required');
}

/**
 * Requests that move or reveal money, whose MAC is checked: sales, voids, completions, balance
 * (0200), pre-authorizations and cancels (0100), refund advices (0220/0221), reversals (0400/0401),
 * settlement (0500) and batch upload (0320).
 */
const macCheckedMtis: ReadonlySet<string> = new Set(['0200', '0100', '0220', '0221', '0400', '0401', '0500', '0320']);

export function isMacCheckedMti(mti: string): boolean {
  return macCheckedMtis.has(mti);
}

/** Answers to those requests carry a MAC too (0210, 0110, 0230, 0410, 0510, 0330). */
export function isMacSignedAnswerMti(mti: string): boolean {
  if (!/^[0-9]{2}[13579][0-9]$/.test(mti)) return false;
  return macCheckedMtis.has(`${mti.slice(0, 2)}${Number(mti[2]) - 1}${mti[3]}`);
}

const macBytes = 8;

/** The data element that carries the MAC of this message in this dialect. */
export function macFieldOf(dialect: Dialect, message: IsoMessage): 64 | 128 {
  if (dialect.name === 'cups-pos') return 64;
  // A field of the secondary bitmap (65-127) moves the MAC to DE 128. Asked per number rather than
  // through Object.keys: this runs three times per sale (the request's check twice, the answer once),
  // and the key list was an array of strings each time. The codec knows no field above 128.
  const { fields } = message;
  for (let de = 65; de < 128; de += 1) if (de in fields) return 128;
  return 64;
}

/** The MAC over a MAB for this dialect and key algorithm. */
export function messageMac(dialect: Dialect, algorithm: KeyAlgorithm, macKey: Uint8Array, mab: Uint8Array): Buffer {
  return dialect.name === 'cups-pos' ? cupsPosMac(algorithm, macKey, mab) : retailMac(algorithm, macKey, mab);
}

function macElementBlock(bytes: Uint8Array, mtiAt: number, field: { start: number; end: number }): Buffer {
  return Buffer.concat([bytes.subarray(mtiAt, field.start), bytes.subarray(field.end)]);
}

export type MacCheck = 'ok' | 'missing' | 'bad';

/**
 * Checks the MAC of a received message (`bytes` without the frame prefix, `message` its unpacked
 * form). Constant-time comparison, so timing does not leak how many bytes of a forged MAC were right.
 */
export function checkMessageMac(dialect: Dialect, bytes: Uint8Array, message: IsoMessage, algorithm: KeyAlgorithm, macKey: Uint8Array): MacCheck {
  const de = macFieldOf(dialect, message);
  const sent = message.fields[de];
  if (!(sent instanceof Uint8Array) || sent.length !== macBytes) return 'missing';
  const { layout } = unpackMessageLocating(dialect, bytes, de);
  if (layout.field === null || layout.field.end - layout.field.start !== macBytes) return 'missing';
  const expected = messageMac(dialect, algorithm, macKey, macElementBlock(bytes, layout.mtiAt, layout.field));
  let difference = 0;
  for (let index = 0; index < macBytes; index += 1) difference |= (expected[index] as number) ^ (sent[index] as number);
  return difference === 0 ? 'ok' : 'bad';
}

/** Packs a message with its MAC in place (DE 64 or 128); the message object itself is not changed. */
export function packWithMac(dialect: Dialect, message: IsoMessage, algorithm: KeyAlgorithm, macKey: Uint8Array): Buffer {
  const de = macFieldOf(dialect, message);
  const placeholder: IsoMessage = { ...message, fields: { ...message.fields, [de]: Buffer.alloc(macBytes) } };
  const bytes = Buffer.from(packMessage(dialect, placeholder));
  const { layout } = unpackMessageLocating(dialect, bytes, de);
  if (layout.field === null || layout.field.end - layout.field.start !== macBytes) throw new Error(`broken invariant: DE ${de} of a packed message is not ${macBytes} bytes`);
  const mac = messageMac(dialect, algorithm, macKey, macElementBlock(bytes, layout.mtiAt, layout.field));
  bytes.set(mac, layout.field.start);
  return bytes;
}
