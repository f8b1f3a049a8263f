// What every follow-up use case is handed: the store, the channels by name, time, randomness, the
// logger, the settings, the reversal queue and the fee hooks. Built once by FollowUps.
import { businessDateOf } from '../../core/fees/business-date.ts';
import type { ChannelPort, LoggerLike } from '../../core/ports/channel.ts';
import type { EngineChannelSettings, FollowUpFeeHooks } from '../../core/ports/payments.ts';
import type { PaymentRecord, ReversalRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';
import type { EnqueueReversalInput } from '../reversals/reversal-worker.ts';
import type { FollowUpSettings } from './follow-up-settings.ts';

export interface FollowUpContext {
  readonly store: Store;
  readonly channels: ReadonlyMap<string, ChannelPort>;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: LoggerLike;
  readonly settings: FollowUpSettings;
  readonly reversalWorker: { kick(): void };
  readonly enqueueReversal: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  readonly fees: FollowUpFeeHooks | undefined;
}

/** Business date (YYYY-MM-DD) of an instant, by the settlement time zone and cut-off. */
export function businessDateIn(context: FollowUpContext, atMs: number): string {
  return businessDateOf(atMs, context.settings.settlementTimeZone, context.settings.settlementCutoff);
}

/** A running channel and its settings, or null when either is missing (not running, removed from the config). */
export function channelNamed(context: FollowUpContext, name: string): { channel: ChannelPort; settings: EngineChannelSettings } | null {
  const channel = context.channels.get(name);
  const settings = context.settings.channels.find((candidate) => candidate.name === name);
  return channel === undefined || settings === undefined ? null : { channel, settings };
}

export async function mustGetPayment(tx: StoreTx, id: string): Promise<PaymentRecord> {
  const payment = await tx.getPayment(id);
  if (payment === null) throw new Error(`broken invariant: payment ${id} vanished`);
  return payment;
}
