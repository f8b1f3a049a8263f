// What the manual-handling routes call (docs/reversals.md, "Manual handling"). The use cases live in
// src/app/manual-handling; the composition root binds them to the store, clock and fee hooks, so the
// HTTP adapter depends on this port only (docs/architecture.md, "Layers").
import type { ManualHandlingView } from '../payments/manual-handling-view.ts';
import type { StoreTx } from './store.ts';

export interface ResolveManualPaymentInput {
  paymentId: string;
  actor: string;
  outcome: 'charged' | 'not-charged';
  /** What the bank said: who, when, their reference. Mandatory. */
  note: string;
  /** Runs last inside the action's write with its answer (the HTTP routes store the Idempotency-Key there). */
  inTx?: ((tx: StoreTx, view: ManualHandlingView) => Promise<void>) | undefined;
}

export interface RetryManualReversalInput {
  paymentId: string;
  actor: string;
  /** Why, for the audit log; optional. */
  note?: string | undefined;
  /** Runs last inside the action's write with its answer (the HTTP routes store the Idempotency-Key there). */
  inTx?: ((tx: StoreTx, view: ManualHandlingView) => Promise<void>) | undefined;
}

export interface ManualHandlingUseCases {
  /** The open work list, most recently flagged first. */
  list(limit: number): Promise<ManualHandlingView[]>;
  /** One flagged payment, open or resolved; null when it was never flagged (or does not exist). */
  get(paymentId: string): Promise<ManualHandlingView | null>;
  /** Throws a RSW_MANUAL_* ReswipeError when refused (nothing changed). */
  resolve(input: ResolveManualPaymentInput): Promise<ManualHandlingView>;
  /** Throws a RSW_MANUAL_* ReswipeError when refused (nothing changed). */
  retry(input: RetryManualReversalInput): Promise<ManualHandlingView>;
}
