// `reswipe recon`: reconciliation with the channels (对账, docs/reconciliation.md).
//   reswipe recon import --channel C --date YYYY-MM-DD FILE [--format file.json]   import and match a clearing file
//   reswipe recon list [--channel C] [--date D]                                    runs, newest day first
//   reswipe recon list --discrepancies [--state s] [--category c] [--run R]        the discrepancy queue, oldest first
//   reswipe recon show <runId | discrepancyId>                                     one run, or one discrepancy with its actions
//   reswipe recon investigate <discrepancyId> --note text
//   reswipe recon note <discrepancyId> --note text
//   reswipe recon resolve <discrepancyId> --adjust <yuan> [--merchant M] --note text   an adjustment in the merchant's next batch
//   reswipe recon resolve <discrepancyId> --write-off --note text                       no money moves
// Every action is audited as `cli:<os user>` and raises an event, as over HTTP.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openClearingFile } from '../../adapters/reconciliation/clearing-file-reader.ts';
import { assertChannelName, loadChannelFormat } from '../../adapters/reconciliation/load-channel-format.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';
import { cliActor } from '../../app/manual-handling/manual-handling-deps.ts';
import { actOnDiscrepancy } from '../../app/reconciliation/act-on-discrepancy.ts';
import { importClearingFile } from '../../app/reconciliation/import-clearing-file.ts';
import { listDiscrepancies, listRuns, loadDiscrepancy, loadRun, type DiscrepancyView } from '../../app/reconciliation/load-reconciliation.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { assertBusinessDate } from '../../core/fees/business-date.ts';
import { formatMinorAsYuan, parseYuanToMinor } from '../../core/fees/parse-yuan.ts';
import type { DiscrepancyCategoryName, DiscrepancyRecord, DiscrepancyStateName, ReconRunRecord, Store } from '../../core/ports/store.ts';
import { discrepancyCategories } from '../../core/reconciliation/decide-line-match.ts';
import { discrepancyStates } from '../../core/reconciliation/discrepancy-queue.ts';

interface StoreOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

const listLimitMax = 1000;

async function withStore<T>(opts: StoreOptions, body: (store: Store, config: ReswipeConfig) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await body(store, config);
  } finally {
    await store.close();
  }
}

function storeOptions(command: Command): Command {
  return addConfigOptions(command.option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)').option('--json', 'print JSON'));
}

function parseLimit(text: string | undefined): number {
  const limit = text === undefined ? 100 : /^[0-9]{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > listLimitMax) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--limit', reason: `must be an integer from 1 to ${listLimitMax}` });
  return limit;
}

function parseChoice<T extends string>(text: string | undefined, allowed: readonly T[], field: string): T | undefined {
  if (text === undefined) return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be one of ${allowed.join(', ')}` });
}

/** Signed yuan: "-1.00" takes one yuan back from the merchant, "1.00" pays it. */
export function parseSignedYuan(text: string, field: string): number {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const minor = parseYuanToMinor(negative ? trimmed.slice(1) : trimmed.replace(/^\+/, ''), field);
  return negative ? -minor : minor;
}

function yuan(minor: number): string {
  return `¥${formatMinorAsYuan(minor)}`;
}

function runLine(run: ReconRunRecord): string {
  return `${run.id}  ${run.channel} ${run.businessDate}  ${run.state}  ${run.linesTotal} lines, ${run.linesMatched} matched, ${run.discrepancies} discrepancies  theirs ${yuan(run.theirsMinor)} ours ${yuan(run.oursMinor)}  ${run.fileName}${run.error === null ? '' : `  error: ${run.error}`}`;
}

function discrepancyLine(d: DiscrepancyRecord): string {
  return `${d.id}  ${d.state}  ${d.category}  ${d.channel} ${d.businessDate}  line ${d.lineNo ?? '-'}  payment ${d.paymentId ?? '-'}  merchant ${d.merchantId ?? '-'}  theirs ${yuan(d.theirsMinor)} ours ${yuan(d.oursMinor)} diff ${yuan(d.differenceMinor)}`;
}

function printDiscrepancy(view: DiscrepancyView): void {
  process.stdout.write(`${discrepancyLine(view)}\n  原因: ${view.causeZh}\n  cause: ${view.causeEn}\n`);
  for (const action of view.actions) {
    process.stdout.write(`  ${new Date(action.atMs).toISOString()}  ${action.actor}  ${action.action} ${action.stateBefore} -> ${action.stateAfter}${action.adjustmentMinor === null ? '' : ` adjustment ${yuan(action.adjustmentMinor)}`}: ${action.note}\n`);
  }
  if (view.adjustment !== null) process.stdout.write(`  adjustment ${yuan(view.adjustment.amountMinor)} to ${view.adjustment.merchantId}, dated ${view.adjustment.businessDate}, ${view.adjustment.batchId === null ? 'waiting for the next settlement batch' : `in batch ${view.adjustment.batchId}`}\n`);
}

function out(json: boolean | undefined, value: unknown, text: () => void): void {
  if (json === true) process.stdout.write(`${JSON.stringify(value)}\n`);
  else text();
}

export function register(program: Command): void {
  const recon = program.command('recon').description('reconciliation with the channels (对账): import clearing files, list runs and discrepancies, act on them');

  storeOptions(
    recon
      .command('import')
      .description("import a channel's clearing file for a business day and match it against the journal")
      .argument('<file>')
      .requiredOption('--channel <name>', 'the channel the file comes from')
      .requiredOption('--date <YYYY-MM-DD>', 'the business day the file covers')
      .option('--format <file.json>', "the channel's format file (default: reconciliation.formatsDir/<channel>.json, else the default CSV)"),
  ).action(async (file: string, opts: StoreOptions & { channel: string; date: string; format?: string }) => {
    const channel = assertChannelName(opts.channel, '--channel');
    const businessDate = assertBusinessDate(opts.date, '--date');
    await withStore(opts, async (store, config) => {
      const format = loadChannelFormat(config.reconciliation.formatsDir, channel, opts.format);
      const fees = feeSettingsFromConfig(config);
      const summary = await importClearingFile(
        { store, clock: { nowMs: () => Date.now() }, timeZone: fees.timeZone },
        { channel, businessDate, format, source: openClearingFile(file, format.layout, config.reconciliation.linesMax), actor: cliActor(userInfo().username) },
      );
      out(opts.json, summary, () => {
        process.stdout.write(`${runLine(summary.run)}\n`);
        const parts = Object.entries(summary.byCategory).filter(([, n]) => n > 0).map(([category, n]) => `${category} ${n}`);
        process.stdout.write(parts.length === 0 ? 'every line matched\n' : `discrepancies: ${parts.join(', ')}; see: reswipe recon list --discrepancies --run ${summary.run.id}\n`);
      });
    });
  });

  storeOptions(
    recon
      .command('list')
      .description('reconciliation runs (newest day first), or with --discrepancies the queue (oldest first)')
      .option('--discrepancies', 'list discrepancies instead of runs')
      .option('--channel <name>')
      .option('--date <YYYY-MM-DD>')
      .option('--run <runId>')
      .option('--state <state>', discrepancyStates.join(' | '))
      .option('--category <category>', discrepancyCategories.join(' | '))
      .option('--merchant <id>')
      .option('--limit <n>', `1-${listLimitMax}`, '100'),
  ).action(async (opts: StoreOptions & { discrepancies?: boolean; channel?: string; date?: string; run?: string; state?: string; category?: string; merchant?: string; limit?: string }) => {
    const limit = parseLimit(opts.limit);
    await withStore(opts, async (store) => {
      if (opts.discrepancies === true) {
        const state = parseChoice<DiscrepancyStateName>(opts.state, discrepancyStates, '--state');
        const category = parseChoice<DiscrepancyCategoryName>(opts.category, discrepancyCategories, '--category');
        const list = await listDiscrepancies(store, { limit, ...(opts.run === undefined ? {} : { runId: opts.run }), ...(state === undefined ? {} : { state }), ...(category === undefined ? {} : { category }), ...(opts.merchant === undefined ? {} : { merchantId: opts.merchant }) });
        out(opts.json, list, () => {
          for (const d of list) process.stdout.write(`${discrepancyLine(d)}\n  ${d.causeEn}\n`);
          process.stdout.write(`${list.length} discrepanc${list.length === 1 ? 'y' : 'ies'}${list.length === limit ? ` (limit ${limit} reached; there may be more)` : ''}\n`);
        });
        return;
      }
      const date = opts.date === undefined ? undefined : assertBusinessDate(opts.date, '--date');
      const runs = await listRuns(store, { limit, ...(opts.channel === undefined ? {} : { channel: opts.channel }), ...(date === undefined ? {} : { fromDate: date, toDate: date }) });
      out(opts.json, runs, () => {
        for (const run of runs) process.stdout.write(`${runLine(run)}\n`);
        if (runs.length === 0) process.stdout.write('no reconciliation run yet\n');
      });
    });
  });

  storeOptions(recon.command('show').description('one run (rcn_...) or one discrepancy (dsc_...) with its actions').argument('<id>')).action(async (id: string, _opts: StoreOptions, command: Command) => {
    const opts = command.optsWithGlobals<StoreOptions>();
    await withStore(opts, async (store) => {
      if (id.startsWith('rcn_')) {
        const run = await loadRun(store, id);
        out(opts.json, run, () => process.stdout.write(`${runLine(run)}\n  by category: ${JSON.stringify(run.byCategory)}  by state: ${JSON.stringify(run.byState)}\n`));
        return;
      }
      const view = await loadDiscrepancy(store, id);
      out(opts.json, view, () => printDiscrepancy(view));
    });
  });

  for (const [name, action, description] of [
    ['investigate', 'investigate', 'mark a discrepancy as being investigated'],
    ['note', 'note', 'add a note to an open discrepancy'],
  ] as const) {
    storeOptions(recon.command(name).description(description).argument('<discrepancyId>').requiredOption('--note <text>', 'who said what, their reference (never a card number)')).action(
      async (id: string, _opts: StoreOptions, command: Command) => {
        const opts = command.optsWithGlobals<StoreOptions & { note: string }>();
        await withStore(opts, async (store, config) => {
          const fees = feeSettingsFromConfig(config);
          await actOnDiscrepancy({ store, clock: { nowMs: () => Date.now() }, settlementDay: { timeZone: fees.timeZone, cutoff: fees.cutoff } }, { discrepancyId: id, actor: cliActor(userInfo().username), action, note: opts.note });
          const view = await loadDiscrepancy(store, id);
          out(opts.json, view, () => printDiscrepancy(view));
        });
      },
    );
  }

  storeOptions(
    recon
      .command('resolve')
      .description("close a discrepancy: with an adjustment the merchant's next settlement batch carries (--adjust), or written off (--write-off)")
      .argument('<discrepancyId>')
      .option('--adjust <yuan>', 'signed yuan: 1.00 is paid to the merchant, -1.00 is taken back')
      .option('--merchant <id>', 'the merchant, when the discrepancy names none (a theirs-only line)')
      .option('--write-off', 'close it without moving money')
      .requiredOption('--note <text>', 'who said what, their reference (never a card number)'),
  ).action(async (id: string, _opts: StoreOptions, command: Command) => {
    const opts = command.optsWithGlobals<StoreOptions & { adjust?: string; merchant?: string; writeOff?: boolean; note: string }>();
    if ((opts.adjust === undefined) === (opts.writeOff !== true)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--adjust', reason: 'give exactly one of --adjust <yuan> or --write-off' });
    const adjustmentMinor = opts.adjust === undefined ? undefined : parseSignedYuan(opts.adjust, '--adjust');
    await withStore(opts, async (store, config) => {
      const fees = feeSettingsFromConfig(config);
      await actOnDiscrepancy(
        { store, clock: { nowMs: () => Date.now() }, settlementDay: { timeZone: fees.timeZone, cutoff: fees.cutoff } },
        { discrepancyId: id, actor: cliActor(userInfo().username), action: adjustmentMinor === undefined ? 'write_off' : 'resolve', note: opts.note, adjustmentMinor, merchantId: opts.merchant },
      );
      const view = await loadDiscrepancy(store, id);
      out(opts.json, view, () => printDiscrepancy(view));
    });
  });
}
