// The balance inquiry (0200, DE 3 `310000`, docs/transactions/balance-inquiry.md): the upstream
// request built from the card the terminal presented, and the balance read back from DE 54. It moves
// no money, so it carries no amount (DE 4 zero) and names no original. Pure: time comes in as `nowMs`.
import type { IsoMessage } from '../iso8583/index.ts';
import { entryModeCodeOf } from './follow-up-request.ts';
import { currencyNumericFor } from './reversal-message.ts';
import { localDateTime, transmissionDateTime } from './upstream-fields.ts';

export interface BalanceInquiryInput {
  readonly stan: string;
  readonly nowMs: number;
  readonly localOffsetMinutes: number;
  readonly merchant: { readonly id: string; readonly mcc: string };
  readonly acquirerId: string;
  /** DE 41: the asking terminal, or the gateway's HTTP terminal id. */
  readonly terminalId: string;
  readonly currency: string;
  /** Passed through, never stored. */
  readonly card: { readonly pan?: string; readonly expiry?: string; readonly track2?: string; readonly entryMode?: string };
}

export function buildBalanceInquiry(input: BalanceInquiryInput): IsoMessage {
  const local = localDateTime(input.nowMs, input.localOffsetMinutes);
  const fields: IsoMessage['fields'] = {
    3: '310000',
    4: '000000000000',
    7: transmissionDateTime(input.nowMs),
    11: input.stan,
    12: local.time,
    13: local.date,
    18: input.merchant.mcc,
    22: entryModeCodeOf(input.card.entryMode ?? 'swipe'),
    25: '00',
    32: input.acquirerId,
    41: input.terminalId.padEnd(8, ' ').slice(0, 8),
    42: input.merchant.id.padEnd(15, ' ').slice(0, 15),
    49: currencyNumericFor(input.currency),
  };
  if (input.card.pan !== undefined) fields[2] = input.card.pan;
  if (input.card.expiry !== undefined) fields[14] = input.card.expiry;
  if (input.card.track2 !== undefined) fields[35] = input.card.track2;
  return { mti: '0200', fields };
}

/**
 * The balance in minor units from the first DE 54 amount (account type n2, amount type n2, currency
 * n3, sign C/D, amount n12): negative when the sign is D; null when DE 54 is absent or unreadable.
 */
export function balanceOfDe54(de54: string | null): number | null {
  const parsed = de54 === null ? null : /^\d{2}\d{2}\d{3}([CD])(\d{12})/.exec(de54);
  return parsed === null || parsed[2] === undefined ? null : Number(parsed[2]) * (parsed[1] === 'D' ? -1 : 1);
}
