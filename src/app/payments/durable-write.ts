// The one way the sale use cases write: a unit of work in one store transaction, tried again (at most
// writeTriesMax times in all) when it lost a race on a payment's version, and a payment update that
// refuses a stale copy. A unit must therefore read what it decides on inside the unit.
import type { PaymentRecord, Store, StoreTx } from '../../core/ports/store.ts';

const writeTriesMax = 3;

/** Runs `unit` in one write; a version conflict re-runs it (fresh reads), any other error is thrown. */
export async function writeDurably<T>(store: Store, unit: (tx: StoreTx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.write(unit);
    } catch (error) {
      if (!(error instanceof VersionConflict) || attempt >= writeTriesMax) throw error;
    }
  }
}

/** Updates `before` to `after`, or throws VersionConflict when another write changed it first. */
export async function updatePaymentChecked(tx: StoreTx, before: PaymentRecord, after: PaymentRecord): Promise<void> {
  const ok = await tx.updatePayment(before, after);
  if (!ok) throw new VersionConflict(before.id);
}

export class VersionConflict extends Error {
  constructor(paymentId: string) {
    super(`payment ${paymentId} was updated concurrently`);
  }
}
