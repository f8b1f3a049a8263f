// Use case: a terminal's own reversal (0400/0401) of a WeChat Pay or Alipay sale, after the terminal
// reversal rules (same terminal and merchant, same amount, in time, batch open) allowed it
// (src/app/payments/reverse-by-terminal.ts). A QR sale is never undone by an ISO 0400 and never paid
// again: an approved trade is cancelled as a void (the provider gives a paid trade back in full, the
// sale ends `voided`, its fee removed); a trade still unknown gets its durable cancel queued (it
// usually already has one); a sale that charged nothing needs nothing.
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import type { TerminalReversalInput } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import { writeDurably } from '../payments/durable-write.ts';
import type { QrPaymentDeps } from './qr-deps.ts';
import { enqueueQrFollowUp } from './qr-outcome-unit.ts';
import { voidQrPayment } from './void-qr-payment.ts';

/** The request hash of the void a 0400 makes: no real request hashes to it, so a repeated 0400 replays the first. */
const reversedByTerminalHash = 'qr-reversed-by-terminal';

export async function reverseQrByTerminal(deps: QrPaymentDeps, payment: PaymentRecord, input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }> {
  switch (payment.status) {
    case 'approved': {
      const result = await voidQrPayment(deps, {
        operation: 'void',
        intake: 'iso',
        merchantId: payment.merchantId,
        originalPaymentId: payment.id,
        terminalId: payment.terminalId,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        reference: null,
        // One void per reversed sale, whatever the 0400's own STAN: a repeated 0400 replays it.
        idempotency: { scope: `iso:${input.terminalId}`, key: `0400:${payment.id}`, requestHash: reversedByTerminalHash },
      });
      switch (result.kind) {
        case 'refused':
          deps.logger.warn({ terminalId: input.terminalId, paymentId: payment.id, code: result.refusal.code }, 'terminal reversal of a QR sale refused; the sale stays charged');
          return { responseCode: result.refusal.isoResponseCode, refusal: result.refusal };
        case 'completed':
          // Confirmed (approved) or still unknown (pending, flagged for manual handling): the gateway has taken the reversal on.
          deps.logger.info({ terminalId: input.terminalId, paymentId: payment.id, voidStatus: result.view.status }, 'terminal reversal of a QR sale: trade cancelled');
          return { responseCode: result.view.status === 'declined' ? '12' : '00' };
        default:
          return { responseCode: '00' };
      }
    }
    case 'pending': {
      // Unknown: queue its cancel (a no-op when the sale already queued one). Never queried into a second pay.
      const attempts = await deps.store.listAttempts(payment.id);
      const last = attempts[attempts.length - 1];
      if (last !== undefined) await writeDurably(deps.store, (tx) => enqueueQrFollowUp(deps, tx, payment, last, deps.clock.nowMs(), 'reversed by the terminal'));
      deps.logger.info({ terminalId: input.terminalId, paymentId: payment.id }, 'terminal reversal of a QR sale still unknown: its cancel is queued');
      return { responseCode: '00' };
    }
    default:
      return { responseCode: '00' };
  }
}
