// The one way the sale use cases write: a unit of work in one store transaction, tried again (at most
// writeTriesMax times in all) when it lost a race on a payment's version, and a payment update that
// refuses a stale copy. A unit must therefore read what it decides on inside the unit.
//
// A unit that failed with RSW_STORE_BUSY (a lock wait, a deadlock, a serialization failure) was rolled
// back whole: nothing of it is stored. Before anything went upstream that makes it safe to run again,
// so a caller that passes `busyRetry` gets short jittered pauses and new tries until its deadline,
// instead of a refusal (docs/cluster.md, "Busy database before sending").
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { PaymentRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';

const writeTriesMax = 3;
/** Tries of a busy unit at most, whatever the deadline: a database that stays locked this long is not a passing race. */
const busyTriesMax = 8;
const busyPauseMsFirst = 10;
const busyPauseMsMax = 250;

/** How a unit that found the database busy is tried again: until `untilMs`, pausing with jitter between tries. */
export interface BusyRetry {
  untilMs: number;
  clock: Clock;
  random: Random;
  sleep: (durationMs: number) => Promise<void>;
}

/** The pause before busy try `tryNo + 1`: doubling from 10 ms up to 250 ms, drawn from its upper half so nodes that collided spread apart. */
export function busyPauseMs(tryNo: number, random: Random): number {
  const ceiling = Math.min(busyPauseMsMax, busyPauseMsFirst * 2 ** (tryNo - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * (random.nextUint32() / 0x1_0000_0000));
}

/** Runs `unit` in one write; a version conflict re-runs it (fresh reads); with `busyRetry`, so does a busy database until its deadline; any other error is thrown. */
export async function writeDurably<T>(store: Store, unit: (tx: StoreTx) => Promise<T>, busyRetry?: BusyRetry): Promise<T> {
  let conflicts = 0;
  let busy = 0;
  for (;;) {
    try {
      return await store.write(unit);
    } catch (error) {
      if (error instanceof VersionConflict && ++conflicts < writeTriesMax) continue;
      if (busyRetry !== undefined && isReswipeError(error, 'RSW_STORE_BUSY') && ++busy < busyTriesMax) {
        const pauseMs = busyPauseMs(busy, busyRetry.random);
        if (busyRetry.clock.nowMs() + pauseMs < busyRetry.untilMs) {
          await busyRetry.sleep(pauseMs);
          continue;
        }
      }
      throw error;
    }
  }
}

/**
 * Awaits store calls a unit issued together (an `undefined` stands for a call not needed), without awaiting in between: on PostgreSQL they share
 * one round trip (the batch's connection pipelines them, docs/store.md). The first failure in the
 * order they were issued is thrown, as if they had run one after another: the unit ends there and
 * rolls back whole, so what a later call did (SQLite still runs it; PostgreSQL refuses it) never counts.
 */
export async function awaitInOrder<T extends readonly unknown[]>(calls: readonly [...{ [K in keyof T]: Promise<T[K]> | undefined }]): Promise<{ [K in keyof T]: T[K] | undefined }> {
  // Every call is marked handled first: one that fails while an earlier one is still awaited must not
  // count as an unhandled rejection. Then each is awaited in turn (Promise.allSettled would do the
  // same with two closures and a result object per call; a sale issues about ten such calls).
  // Index loops: an async function's for-of allocates an iterator result per step until it is optimised.
  for (let index = 0; index < calls.length; index += 1) void calls[index]?.then(undefined, ignoreUntilAwaited);
  const values: unknown[] = [];
  let failure: { error: unknown } | null = null;
  for (let index = 0; index < calls.length; index += 1) {
    const call = calls[index];
    try {
      values.push(call === undefined ? undefined : await call);
    } catch (error) {
      failure ??= { error };
      values.push(undefined);
    }
  }
  if (failure !== null) throw failure.error;
  return values as { [K in keyof T]: T[K] | undefined };
}

/** The handler awaitInOrder marks each call with; the failure itself is taken by its await. */
function ignoreUntilAwaited(): void {}

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
