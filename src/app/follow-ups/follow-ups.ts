// The follow-ups as the adapters see them (FollowUpUseCases): a thin object that holds the wiring and
// hands each request to its use case, one file each in this folder, plus the background pass that
// forwards refund advices and releases expired holds, and the hook the reversal worker calls when a
// follow-up's reversal settles. The sale and the pre-authorization itself are the sale engine's.
import type { ChannelPort, LoggerLike } from '../../core/ports/channel.ts';
import type {
  BalanceRequest,
  BalanceResult,
  BatchUploadEntry,
  FollowUpFeeHooks,
  FollowUpRequest,
  FollowUpResult,
  FollowUpUseCases,
  OriginalReference,
  SettlementRequest,
  SettlementResult,
} from '../../core/ports/payments.ts';
import type { PaymentRecord, ReversalRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';
import { assertNever } from '../../core/vocabulary.ts';
import { enqueueReversal as enqueueReversalDefault, type EnqueueReversalInput, type ReversalSettlement } from '../reversals/reversal-worker.ts';
import { acceptRefund } from './accept-refund.ts';
import { cancelPreauth } from './cancel-preauth.ts';
import { completePreauth } from './complete-preauth.ts';
import { findTerminalOriginal } from './find-terminal-original.ts';
import { businessDateIn, type FollowUpContext } from './follow-up-context.ts';
import type { FollowUpSettings } from './follow-up-settings.ts';
import type { LeaseFence } from '../cluster/work-lease.ts';
import { forwardRefundAdvices, type AdvicePass } from './forward-refund-advices.ts';
import { inquireBalance } from './inquire-balance.ts';
import { releaseExpiredHolds } from './release-expired-holds.ts';
import { reopenAfterReversalInTx } from './reopen-after-reversal.ts';
import { settleBatch } from './settle-batch.ts';
import { uploadBatchEntry } from './upload-batch-entry.ts';
import { voidCompletion } from './void-completion.ts';
import { voidSale } from './void-sale.ts';

export interface FollowUpDeps {
  store: Store;
  channels: readonly ChannelPort[];
  clock: Clock;
  random: Random;
  logger: LoggerLike;
  settings: FollowUpSettings;
  reversalWorker: { kick(): void };
  enqueueReversal?: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  fees?: FollowUpFeeHooks;
}

export class FollowUps implements FollowUpUseCases {
  readonly #context: FollowUpContext;

  constructor(deps: FollowUpDeps) {
    this.#context = {
      store: deps.store,
      channels: new Map(deps.channels.map((channel) => [channel.name, channel])),
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger,
      settings: deps.settings,
      reversalWorker: deps.reversalWorker,
      enqueueReversal: deps.enqueueReversal ?? enqueueReversalDefault,
      fees: deps.fees,
    };
  }

  /** Business date (YYYY-MM-DD) of an instant, by the settlement time zone and cut-off. */
  businessDateOf(atMs: number): string {
    return businessDateIn(this.#context, atMs);
  }

  /** Runs a void, refund, completion, cancel or completion void. Refusals are values; only faults throw. */
  followUp(request: FollowUpRequest): Promise<FollowUpResult> {
    const operation = request.operation;
    switch (operation) {
      case 'void':
        return voidSale(this.#context, { ...request, operation });
      case 'refund':
        return acceptRefund(this.#context, { ...request, operation });
      case 'completion':
        return completePreauth(this.#context, { ...request, operation });
      case 'preauth_cancel':
        return cancelPreauth(this.#context, { ...request, operation });
      case 'completion_void':
        return voidCompletion(this.#context, { ...request, operation });
      default:
        return assertNever(operation, 'follow-up operation');
    }
  }

  balanceInquiry(request: BalanceRequest): Promise<BalanceResult> {
    return inquireBalance(this.#context, request);
  }

  settleBatch(request: SettlementRequest): Promise<SettlementResult> {
    return settleBatch(this.#context, request);
  }

  uploadBatchEntry(input: BatchUploadEntry): Promise<{ responseCode: '00'; matched: boolean }> {
    return uploadBatchEntry(this.#context, input);
  }

  findOriginalForTerminal(terminalId: string, by: OriginalReference, merchantId?: string): Promise<PaymentRecord | null> {
    return findTerminalOriginal(this.#context, terminalId, by, merchantId);
  }

  /** One pass of the refund advice queue (forward-refund-advices.ts), fenced by the `advices` work lease on several nodes. */
  forwardDueAdvices(fence?: LeaseFence): Promise<AdvicePass> {
    return forwardRefundAdvices(this.#context, fence);
  }

  /** One pass of hold expiry (release-expired-holds.ts), fenced by the `advices` work lease on several nodes. */
  releaseExpiredHolds(fence?: LeaseFence): Promise<number> {
    return releaseExpiredHolds(this.#context, fence);
  }

  /** For the reversal worker, in its settling write: a reversed void or cancel reopens its original (reopen-after-reversal.ts). */
  onReversalSettledInTx(tx: StoreTx, settled: ReversalSettlement): Promise<void> {
    return reopenAfterReversalInTx(this.#context, tx, settled);
  }

}
