// Small helpers the engine, the simulator and the channels share: text access, MTI arithmetic and
// the key that matches a response to its request (docs/contracts/host-link.md, "Rules both sides keep").
import type { IsoMessage } from './iso-message.ts';

/** The field as text, or undefined when absent or not a text field. */
export function getText(message: IsoMessage, de: number): string | undefined {
  const value = message.fields[de];
  return typeof value === 'string' ? value : undefined;
}

/** True for response MTIs (function digit odd: 0110, 0210, 0410, 0810...). */
export function isResponseMti(mti: string): boolean {
  if (mti.length !== 4) return false;
  const functionDigit = mti.charCodeAt(2) - 48;
  return functionDigit >= 0 && functionDigit <= 9 && functionDigit % 2 === 1;
}

/** The response MTI for a request MTI: 0200 -> 0210, 0400/0401 -> 0410, 0220/0221 -> 0230; undefined for a response or a malformed MTI. */
export function responseMtiFor(mti: string): string | undefined {
  if (!/^\d{4}$/.test(mti) || isResponseMti(mti)) return undefined;
  const functionDigit = mti.charCodeAt(2) - 48;
  // The origin digit (repeat) drops: a 0401 repeat is answered by a 0410 like the 0400 it repeats.
  return `${mti.slice(0, 2)}${functionDigit + 1}0`;
}

/** The MTI class a request and its response share (version, class, request function; origin dropped): 0200 and 0210 -> 020x; 0400, 0401, 0410 -> 040x. */
function mtiClassOf(mti: string): string {
  const functionDigit = mti.charCodeAt(2) - 48;
  const requestFunction = functionDigit - (functionDigit % 2);
  return `${mti.slice(0, 2)}${requestFunction}x`;
}

/** `${mtiClass}:${de11}:${de41}:${de7}`, equal for a request and its response; 0800-class messages use DE 11 and DE 7 only. */
export function upstreamMatchKey(message: IsoMessage): string {
  const mtiClass = mtiClassOf(message.mti);
  const stan = getText(message, 11) ?? '';
  const transmittedAt = getText(message, 7) ?? '';
  if (message.mti.startsWith('08')) return `${mtiClass}:${stan}::${transmittedAt}`;
  return `${mtiClass}:${stan}:${getText(message, 41) ?? ''}:${transmittedAt}`;
}

/** The TPDU for a reply: same ID, destination and originator swapped (cups-pos). */
export function responseTpduFor(tpdu: Uint8Array): Uint8Array {
  if (tpdu.length !== 5) return Uint8Array.from(tpdu);
  return Uint8Array.of(tpdu[0] ?? 0x60, tpdu[3] ?? 0, tpdu[4] ?? 0, tpdu[1] ?? 0, tpdu[2] ?? 0);
}
