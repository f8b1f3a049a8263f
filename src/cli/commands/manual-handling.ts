// `reswipe manual-handling`: the operators' work list and its actions. A payment lands on the list
// when a reversal of one of its attempts is dead-lettered (tried triesMax times without a definite
// answer): money may have moved, the client still sees `pending`, and someone must ask the channel.
//   reswipe manual-handling [--json] [--limit n]               the open list, newest flag first
//   reswipe manual-handling show <paymentId> [--json]          one flagged payment, open or resolved
//   reswipe manual-handling retry <paymentId> [--note text]    send its dead reversal(s) again now
//   reswipe manual-handling resolve <paymentId> --outcome charged|not-charged --note text
// Options may come before or after the subcommand (commander reads the parent's as global ones).
// The actions work on the database of the config (a running `serve` picks a retried reversal up at
// its next queue poll), are audited as `cli:<os user>` and raise events; rules and effects are the
// same as over HTTP (src/app/manual-handling, docs/reversals.md).
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { createLogger } from '../../adapters/log/logger.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { createPaymentFeeHooks } from '../../app/fees/payment-fee-hooks.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';
import { readFeePlansInForce } from '../../app/fees/live-fee-plans.ts';
import { getManualHandling, listManualHandling } from '../../app/manual-handling/load-manual-handling.ts';
import { cliActor, type ManualHandlingDeps } from '../../app/manual-handling/manual-handling-deps.ts';
import { resolveManualPayment } from '../../app/manual-handling/resolve-manual-payment.ts';
import { retryManualReversal } from '../../app/manual-handling/retry-manual-reversal.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { ManualHandlingView } from '../../core/payments/manual-handling-view.ts';
import type { Store } from '../../core/ports/store.ts';

/** The store's own cap on one list read. */
const listLimitMax = 1000;
const listLimitDefault = 100;

interface StoreOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return listLimitDefault;
  const limit = /^[0-9]{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > listLimitMax) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--limit', reason: `must be an integer from 1 to ${listLimitMax}` });
  }
  return limit;
}

function parseOutcome(text: string | undefined): 'charged' | 'not-charged' {
  if (text === 'charged' || text === 'not-charged') return text;
  throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--outcome', reason: 'must be charged (the customer paid) or not-charged (no money moved), as the bank said' });
}

/** Opens the config's database, runs `body`, always closes it. */
async function withStore<T>(opts: StoreOptions, body: (store: Store, config: ReswipeConfig) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await body(store, config);
  } finally {
    await store.close();
  }
}

/** The use cases' dependencies from the config: fees priced by the same plans (the stored ones, docs/fees.md) and day rule as `serve`. */
async function depsOf(store: Store, config: ReswipeConfig): Promise<ManualHandlingDeps> {
  const feeSettings = feeSettingsFromConfig(config);
  const clock = { nowMs: () => Date.now() };
  const logger = createLogger({ level: config.log.level, name: 'manual-handling', destination: 2 });
  const plans = await readFeePlansInForce(store, feeSettings.plans, logger);
  return {
    store,
    clock,
    fees: createPaymentFeeHooks({ plans: () => plans, settings: feeSettings, clock, logger }),
    settlementDay: { timeZone: feeSettings.timeZone, cutoff: feeSettings.cutoff },
  };
}

function formatLine(view: ManualHandlingView): string {
  const reversals = view.reversals.map((reversal) => `${reversal.id} ${reversal.state} after ${reversal.tries}`).join(', ');
  return `${view.id}  since ${view.manualHandlingSince}  ${view.state}  ${view.status} ${view.kind}  ${view.amountMinor} ${view.currency} minor  merchant ${view.merchantId}  terminal ${view.terminalId ?? '-'}  card ${view.cardMasked}  stan ${view.terminalStan ?? '-'}  rrn ${view.rrn ?? '-'}  reversals ${reversals.length === 0 ? '-' : reversals}`;
}

function print(view: ManualHandlingView, json: boolean | undefined): void {
  if (json === true) {
    process.stdout.write(`${JSON.stringify(view)}\n`);
    return;
  }
  process.stdout.write(`${formatLine(view)}\n`);
  if (view.resolution !== null) process.stdout.write(`resolved ${view.resolution.outcome} by ${view.resolution.actor} at ${view.resolution.at}: ${view.resolution.note}\n`);
}

function storeOptions(command: Command): Command {
  return addConfigOptions(command.option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)').option('--json', 'print JSON'));
}

export function register(program: Command): void {
  const manual = storeOptions(
    program
      .command('manual-handling')
      .description('payments flagged for manual handling (a reversal dead-lettered: money may have moved), most recently flagged first; subcommands act on one')
      .option('--limit <n>', `how many to list, 1-${listLimitMax}`, String(listLimitDefault)),
  ).action(async (opts: StoreOptions & { limit?: string }) => {
    const limit = parseLimit(opts.limit);
    await withStore(opts, async (store) => {
      const entries = await listManualHandling(store, limit);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(entries)}\n`);
        return;
      }
      if (entries.length === 0) {
        process.stdout.write('no payment waits for manual handling\n');
        return;
      }
      for (const entry of entries) process.stdout.write(`${formatLine(entry)}\n`);
      process.stdout.write(`${entries.length} payment${entries.length === 1 ? '' : 's'} flagged${entries.length === limit ? ` (limit ${limit} reached; there may be more)` : ''}\n`);
    });
  });

  storeOptions(manual.command('show').description('one flagged payment, open or resolved').argument('<paymentId>')).action(async (paymentId: string, _opts: StoreOptions, command: Command) => {
    const opts = command.optsWithGlobals<StoreOptions>();
    await withStore(opts, async (store) => {
      const view = await getManualHandling(store, paymentId);
      if (view === null) {
        const exists = (await store.getPayment(paymentId)) !== null;
        throw new ReswipeError(exists ? 'RSW_MANUAL_NOT_FLAGGED' : 'RSW_MANUAL_PAYMENT_NOT_FOUND', { paymentId, field: 'paymentId' });
      }
      print(view, opts.json);
    });
  });

  storeOptions(
    manual
      .command('retry')
      .description('send the dead reversal(s) of a flagged payment again now, with a fresh budget (a running serve sends it at its next queue poll)')
      .argument('<paymentId>')
      .option('--note <text>', 'why, for the audit log'),
  ).action(async (paymentId: string, _opts: StoreOptions, command: Command) => {
    const opts = command.optsWithGlobals<StoreOptions & { note?: string }>();
    await withStore(opts, async (store, config) => {
      print(await retryManualReversal(await depsOf(store, config), { paymentId, actor: cliActor(userInfo().username), note: opts.note }), opts.json);
    });
  });

  storeOptions(
    manual
      .command('resolve')
      .description('after asking the bank: record that a flagged payment was charged (it becomes approved, with its fee) or not charged (it ends reversed)')
      .argument('<paymentId>')
      .requiredOption('--outcome <outcome>', 'charged | not-charged')
      .requiredOption('--note <text>', 'what the bank said: who, when, their reference (never a card number)'),
  ).action(async (paymentId: string, _opts: StoreOptions, command: Command) => {
    const opts = command.optsWithGlobals<StoreOptions & { outcome?: string; note?: string }>();
    const outcome = parseOutcome(opts.outcome);
    await withStore(opts, async (store, config) => {
      print(await resolveManualPayment(await depsOf(store, config), { paymentId, actor: cliActor(userInfo().username), outcome, note: opts.note ?? '' }), opts.json);
    });
  });
}
