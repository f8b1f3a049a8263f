// What the QR use cases are built from (src/app/qr-payments/, docs/qr-payments.md). The composition
// root builds them; tests build them over a real store with a scripted QrChannelPort.
import type { QrCodeTables } from '../../core/declines/qr-code-table.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { FollowUpFeeHooks } from '../../core/ports/payments.ts';
import type { QrChannelPort } from '../../core/ports/qr-channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { QrFollowUpSettings } from '../../core/qr/qr-follow-up-rules.ts';
import type { QrSaleSettings } from '../../core/qr/qr-sale-decision.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { Random } from '../../core/time/random.ts';

export interface QrChannelEntry {
  readonly port: QrChannelPort;
  /** 1 is tried first among the channels of a method. */
  readonly priority: number;
  readonly disabled: boolean;
  readonly timeoutMs: number;
}

export interface QrPaymentSettings {
  /** The card-fingerprint key (security.panKey): the code's fingerprint is made under it, so the re-swipe guard sees a code twice. */
  panKey: string;
  panKeyId: string;
  /** DE 41 recorded for HTTP QR sales that name no terminal. */
  httpTerminalId: string;
  /** Budget of an HTTP sale without a deadline (engine.qr.budgetMs) and of a terminal's sale (engine.terminalTimeoutMs). */
  httpBudgetMs: number;
  terminalBudgetMs: number;
  /** Kept back from the client's deadline to write and send the answer. */
  replyMarginMs: number;
  sale: Omit<QrSaleSettings, 'callTimeoutMs'>;
  followUp: QrFollowUpSettings;
  /** Pending payments one recovery pass looks at; follow-ups one pass runs. */
  recoveryBatchMax: number;
  /** Business dates for same-day voids (fees.settlementTimeZone). */
  businessTimeZone: string;
}

export interface QrPaymentDeps {
  readonly store: Store;
  readonly channels: readonly QrChannelEntry[];
  readonly codeTables: QrCodeTables;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: LoggerLike;
  readonly settings: QrPaymentSettings;
  /** Fee lines: an approval's fee, a refund's proportional fee back, a void's removal (src/app/fees). */
  readonly fees: FollowUpFeeHooks | undefined;
  readonly sleep: (durationMs: number) => Promise<void>;
  /** Payments this process is driving: recovery leaves them alone. */
  readonly active: Set<string>;
}
