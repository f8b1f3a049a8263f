// `reswipe manual-handling`: the operators' work list. A payment lands on it when a reversal of one
// of its attempts is dead-lettered (tried triesMax times without a definite answer): money may have
// moved, the client still sees `pending`, and someone must ask the channel what happened. Reads only;
// resolving a payment from here is future work (docs/reversals.md, "The manual-handling flag").
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';

/** The store's own cap on one list read. */
const listLimitMax = 1000;
const listLimitDefault = 100;

export interface ManualHandlingEntry {
  id: string;
  manualHandlingSince: string;
  status: PaymentRecord['status'];
  kind: PaymentRecord['kind'];
  merchantId: string;
  terminalId: string | null;
  amountMinor: number;
  currency: string;
  cardMasked: string;
  terminalStan: string | null;
  rrn: string | null;
  createdAt: string;
}

/** One line of the list: the payment as an operator needs it to call the channel, card masked. */
export function toManualHandlingEntry(payment: PaymentRecord): ManualHandlingEntry {
  return {
    id: payment.id,
    manualHandlingSince: new Date(payment.manualHandlingSinceMs ?? 0).toISOString(),
    status: payment.status,
    kind: payment.kind,
    merchantId: payment.merchantId,
    terminalId: payment.terminalId,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    cardMasked: payment.panMasked,
    terminalStan: payment.terminalStan,
    rrn: payment.rrn,
    createdAt: new Date(payment.createdAtMs).toISOString(),
  };
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return listLimitDefault;
  const limit = /^[0-9]{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > listLimitMax) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--limit', reason: `must be an integer from 1 to ${listLimitMax}` });
  }
  return limit;
}

export function register(program: Command): void {
  addConfigOptions(
    program
      .command('manual-handling')
      .description('payments flagged for manual handling (a reversal dead-lettered: money may have moved), most recently flagged first')
      .option('--limit <n>', `how many to list, 1-${listLimitMax}`, String(listLimitDefault))
      .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
      .option('--json', 'print a JSON array'),
  ).action(async (opts: { config?: string; databaseUrl?: string; limit?: string; json?: boolean }) => {
    const limit = parseLimit(opts.limit);
    const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
    const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const entries = (await store.listManualHandlingPayments(limit)).map(toManualHandlingEntry);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(entries)}\n`);
        return;
      }
      if (entries.length === 0) {
        process.stdout.write('no payment waits for manual handling\n');
        return;
      }
      for (const entry of entries) {
        process.stdout.write(
          `${entry.id}  since ${entry.manualHandlingSince}  ${entry.status} ${entry.kind}  ${entry.amountMinor} ${entry.currency} minor  merchant ${entry.merchantId}  terminal ${entry.terminalId ?? '-'}  card ${entry.cardMasked}  stan ${entry.terminalStan ?? '-'}  rrn ${entry.rrn ?? '-'}\n`,
        );
      }
      process.stdout.write(`${entries.length} payment${entries.length === 1 ? '' : 's'} flagged${entries.length === limit ? ` (limit ${limit} reached; there may be more)` : ''}\n`);
    } finally {
      await store.close();
    }
  });
}
