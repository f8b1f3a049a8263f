// What the payout routes and a merchant's self-service routes call about payouts (docs/payouts.md).
// The use cases live in src/app/payouts; the composition root binds them to the store and the vault
// that seals account numbers, so the HTTP adapter depends on this port only (docs/architecture.md, "Layers").
import type { PayoutAccountInput, PayoutAccountView } from '../payouts/payout-account.ts';
import type { PayoutView } from '../payouts/payout-view.ts';
import type { PayoutQuery, PayoutRecord } from './store.ts';

/** What one answer file changed. */
export interface AnswerImport {
  readonly fileId: string;
  readonly paid: number;
  readonly failed: number;
  /** Lines the payouts already had (a re-import). */
  readonly unchanged: number;
  readonly payouts: readonly PayoutRecord[];
}

/** Who acts and when, for the audit log. */
export interface PayoutAction {
  /** `key:<id>` or `cli:<user>`. */
  readonly actor: string;
  readonly nowMs: number;
}

export interface PayoutUseCases {
  /** Payouts matching the query, with local dates in `timeZone`. */
  list(query: PayoutQuery, timeZone: string): Promise<PayoutView[]>;
  /** One payout; with `merchantId`, another merchant's answers RSW_PAYOUT_NOT_FOUND as a missing one does. */
  show(id: string, timeZone: string, merchantId?: string): Promise<PayoutView>;
  /** Applies the bank's answer file (RSWANS v1), all lines or none; `source` names it in errors. */
  importAnswer(text: string, action: PayoutAction, source: string): Promise<AnswerImport>;
  /** Records (or replaces) a merchant's payout account; the number is sealed and only shown masked. */
  setAccount(merchantId: string, input: PayoutAccountInput, action: PayoutAction): Promise<PayoutAccountView>;
}
