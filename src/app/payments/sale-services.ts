// What the sale use cases are built from (PaymentsOptions, as the composition root passes it) and the
// same resolved (SaleServices: defaults filled in, channels by name).
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import type { BinTable } from '../../core/declines/index.ts';
import { engineSettingsFromConfig } from '../../core/payments/engine-settings-from-config.ts';
import { recoveryPolicy as shippedRecoveryPolicy, type RecoveryPolicy } from '../../core/payments/recovery-policy.ts';
import type { ChannelPort, LoggerLike } from '../../core/ports/channel.ts';
import type { EngineSettings, FeeHooks, TerminalReversalInput } from '../../core/ports/payments.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import type { PaymentRecord, ReversalRecord, Store, StoreTx } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';
import type { EngineRouter } from '../channels/channel-router.ts';
import { enqueueReversal as enqueueReversalDefault, type EnqueueReversalInput } from '../reversals/reversal-worker.ts';

export interface PaymentsOptions {
  store: Store;
  channels: readonly ChannelPort[];
  clock: Clock;
  random: Random;
  logger: LoggerLike;
  /** Either the whole config (settings derived) or settings built directly. */
  config?: ReswipeConfig;
  settings?: EngineSettings;
  binTable: BinTable;
  /** The reversal queue worker: kicked after a reversal is queued. */
  reversalWorker: { kick(): void };
  /** Queues a reversal inside a write; the reversal worker's own function unless a test replaces it. */
  enqueueReversal?: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  fees?: FeeHooks;
  /**
   * `projector`: the sale's answer unit writes no `payment.completed` event; the payment projector writes it
   * from the payment journal, off the answer's path (docs/projector.md). `inline` (default): in the answer's unit.
   */
  completedEvents?: 'inline' | 'projector';
  /** Waits; real timers by default, a simulation passes its own. */
  sleep?: (durationMs: number) => Promise<void>;
  /** Routing rules and channel health; without it every enabled channel by priority. */
  router?: EngineRouter;
  /** What a sale retries on its own after a failed attempt; the shipped recovery-policy.json by default. */
  recoveryPolicy?: RecoveryPolicy;
  /** A terminal's 0400 of a WeChat Pay or Alipay sale goes to the QR use cases (cancel, never a card 0400); without it such a 0400 is refused `12`. */
  reverseQrSale?: QrSaleReversal;
  /** This gateway node among several (docs/cluster.md); one node alone by default. */
  cluster?: SaleCluster;
}

/** Undoes a QR sale a terminal's 0400 names, once the terminal reversal rules allowed it; answers DE 39 for the 0410. */
export type QrSaleReversal = (payment: PaymentRecord, input: TerminalReversalInput) => Promise<{ responseCode: string; refusal?: TxnRefusal }>;

/** What the sale use cases need of the cluster membership (src/app/cluster/node-membership.ts). */
export interface SaleCluster {
  readonly nodeId: string;
  /** False once this node's own lease may have lapsed (a pause, a lost database): it must not send then, its sales may be taken over. */
  mayAct(): boolean;
  /** Whether node `id` holds a live lease now; a node without a row is dead. */
  isNodeAlive(id: string): Promise<boolean>;
}

/** One node alone: it always may act, and every other node's sale is left to the recovery sweep. */
const singleNode: SaleCluster = { nodeId: 'local', mayAct: () => true, isNodeAlive: async () => true };

/** The options resolved: defaults filled in, channels by name. */
export interface SaleServices {
  readonly store: Store;
  readonly channels: ReadonlyMap<string, ChannelPort>;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: LoggerLike;
  readonly settings: EngineSettings;
  readonly binTable: BinTable;
  readonly reversalWorker: { kick(): void };
  readonly enqueueReversal: (tx: StoreTx, input: EnqueueReversalInput) => Promise<ReversalRecord>;
  readonly fees: FeeHooks | undefined;
  /** False when the payment projector writes the answer's `payment.completed` event. */
  readonly completedEventsInline: boolean;
  readonly sleep: (durationMs: number) => Promise<void>;
  readonly router: EngineRouter | undefined;
  readonly recoveryPolicy: RecoveryPolicy;
  readonly reverseQrSale: QrSaleReversal | undefined;
  readonly cluster: SaleCluster;
}

export function resolveSaleServices(options: PaymentsOptions): SaleServices {
  const settings = options.settings ?? (options.config === undefined ? undefined : engineSettingsFromConfig(options.config));
  if (settings === undefined) throw new Error('the sale use cases need config or settings');
  return {
    store: options.store,
    channels: new Map(options.channels.map((channel) => [channel.name, channel])),
    clock: options.clock,
    random: options.random,
    logger: options.logger,
    settings,
    binTable: options.binTable,
    reversalWorker: options.reversalWorker,
    enqueueReversal: options.enqueueReversal ?? enqueueReversalDefault,
    fees: options.fees,
    completedEventsInline: options.completedEvents !== 'projector',
    sleep: options.sleep ?? ((durationMs) => new Promise((resolve) => setTimeout(resolve, Math.max(0, durationMs)))),
    router: options.router,
    recoveryPolicy: options.recoveryPolicy ?? shippedRecoveryPolicy,
    reverseQrSale: options.reverseQrSale,
    cluster: options.cluster ?? singleNode,
  };
}
