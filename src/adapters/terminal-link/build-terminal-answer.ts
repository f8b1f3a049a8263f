// The answers of the terminal link (docs/terminal-link.md, "What a sale answer carries"): the 0x10
// response with the request's echoes, DE 39, the DE 44 retry verdict and the DE 63 cashier message in
// the listener's language; the shorter network, settlement, upload and reversal answers; and the
// packing, with a MAC under the key the request was checked with when the answer type carries one.
import { terminalRrnOf } from '../../core/payments/terminal-rrn.ts';
import { packMessage, responseTpduFor, type Dialect, type IsoFieldValue, type IsoMessage } from '../../core/iso8583/index.ts';
import { cashierMessageWithNote, classifyResponseCode, terminalVerdictText, type Diagnosis } from '../../core/declines/index.ts';
import { isMacSignedAnswerMti, packWithMac } from '../../core/crypto/terminal-mac.ts';
import type { MacKey } from '../../core/ports/terminal-keys.ts';
import type { BilingualText, Language } from '../../core/vocabulary.ts';

/** Fields a sale, follow-up or refusal answer echoes when the request had them. */
const standardEchoes = [3, 4, 7, 11, 12, 13, 25, 32, 41, 42, 49, 60] as const;
export const echoesOf = {
  standard: standardEchoes,
  networkCupsPos: [7, 11, 12, 13, 32, 41, 42, 60],
  network: [7, 11, 32, 41, 42, 70],
  settlement: [7, 11, 12, 13, 32, 41, 42, 48, 60],
  batchUpload: [3, 4, 7, 11, 32, 41, 42, 60],
  reversal: [3, 4, 7, 11, 32, 41, 42, 49, 61, 90],
} as const satisfies Record<string, readonly number[]>;

export interface Approval {
  authCode: string | null;
  rrn: string | null;
}

/** The answer of a sale, follow-up or refusal: echoes, DE 37/38 when given, DE 39, DE 44 verdict, DE 63 cashier message (with the recovery note when it fits). */
export function buildDiagnosisAnswer(request: IsoMessage, responseMti: string, language: Language, diagnosis: Diagnosis, approval: Approval | null, recovery?: BilingualText | null): IsoMessage {
  const fields = echoed(request, echoesOf.standard);
  if (approval?.rrn) fields[37] = terminalRrnOf(approval.rrn);
  if (diagnosis.code === '00' && approval?.authCode) fields[38] = approval.authCode.padEnd(6, ' ').slice(0, 6);
  fields[39] = diagnosis.code;
  fields[44] = terminalVerdictText(diagnosis);
  // After more than one try, how they ended follows the advice when DE 63 has room for both.
  fields[63] = cashierMessageWithNote(diagnosis, language, recovery?.[language]);
  return buildAnswer(request, responseMti, fields);
}

/** An answer of the given fields, with the request's TPDU turned round and its header kept. */
export function buildAnswer(request: IsoMessage, responseMti: string, fields: Record<number, IsoFieldValue>): IsoMessage {
  const response: IsoMessage = { mti: responseMti, fields };
  if (request.tpdu !== undefined) response.tpdu = responseTpduFor(request.tpdu);
  if (request.header !== undefined) response.header = request.header;
  return response;
}

/** The request's fields among `fields`, to echo in an answer. */
export function echoed(from: IsoMessage, fields: readonly number[]): Record<number, IsoFieldValue> {
  const to: Record<number, IsoFieldValue> = {};
  for (const de of fields) {
    const value = from.fields[de];
    if (value !== undefined) to[de] = value;
  }
  return to;
}

/** The diagnosis of a response code, `96` for one the catalogue does not know (a code from a use case is trusted no further). */
export function diagnosisOfCode(code: string): Diagnosis {
  try {
    return classifyResponseCode(code);
  } catch {
    return classifyResponseCode('96');
  }
}

/** The packed answer, MACed under `signWith` when there is one and the answer type carries a MAC. */
export function packAnswer(dialect: Dialect, response: IsoMessage, signWith: MacKey | null): Buffer {
  if (signWith !== null && isMacSignedAnswerMti(response.mti)) return packWithMac(dialect, response, signWith.algorithm, signWith.macKey);
  return packMessage(dialect, response);
}
