// The persistent reversal queue: every attempt whose outcome is unknown (or that must be undone)
// has a ReversalRecord; this worker sends its 0400, then 0401 repeats with capped exponential
// backoff, until the host answers 00/25 or the tries run out (dead letter, manual handling).
// All state lives in the store, so a restart simply picks up the due rows again.
import type { AttemptRecord, PaymentRecord, ReversalRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike, UpstreamChannel } from '../../adapters/channels/upstream-channel.ts';

export interface ReversalWorkerOptions {
  store: Store;
  channels: ReadonlyMap<string, UpstreamChannel> | ((name: string) => UpstreamChannel | undefined);
  clock: Clock;
  logger: LoggerLike;
  triesMax: number;
  backoffMs: number;
  backoffMsMax: number;
  /** How long one 0400/0401 waits for its 0410. */
  timeoutMs: number;
  /** Most reversals handled per run (they are sent concurrently). */
  batchMax: number;
  pollIntervalMs: number;
  acquirerIdFor(channel: string): string;
  /** The engine updates the payment in the SAME transaction as the reversal's final state. */
  onSettledInTx?: (tx: StoreTx, settled: ReversalSettlement) => Promise<void>;
  /** Called after the commit, for notifications. */
  onSettled?: (settled: ReversalSettlement) => void;
}

export interface ReversalSettlement {
  reversal: ReversalRecord;
  attempt: AttemptRecord;
  payment: PaymentRecord;
  result: 'reversed' | 'dead';
  responseCode: string | null;
}

export type ReversalReasonCode = '98' | '96' | 'A0' | '06';

export interface EnqueueReversalInput {
  attempt: AttemptRecord;
  payment: PaymentRecord;
  reasonCode: ReversalReasonCode;
  nowMs: number;
  /** The 0400's own STAN (from tx.nextStan(channel)), kept for every 0401 repeat. */
  newStan: string;
  /** The 0400's own DE 7, MMDDhhmmss UTC, kept for every 0401 repeat. */
  transmittedAt: string;
}

export class ReversalWorker {
  constructor(options: ReversalWorkerOptions) {
    void options;
    throw new Error('ReversalWorker: implementation follows in the next commit');
  }
  start(): void {}
  /** Runs the queue now instead of waiting for the next poll. */
  kick(): void {}
  /** Processes the due reversals once; returns how many it handled. */
  runOnce(): Promise<number> {
    return Promise.resolve(0);
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** Queues the reversal of an attempt inside the caller's write; idempotent per attempt. */
export function enqueueReversal(tx: StoreTx, input: EnqueueReversalInput): Promise<ReversalRecord> {
  void tx;
  void input;
  throw new Error('enqueueReversal: implementation follows in the next commit');
}
