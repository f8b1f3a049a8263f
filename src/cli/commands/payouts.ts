// `reswipe payouts`: settlement batches to the merchants' bank accounts (docs/payouts.md).
//   reswipe payouts account set --merchant M --bank-code C --account-name N   (account number on standard input)
//   reswipe payouts account show --merchant M
//   reswipe payouts create --date D [--merchant M]        one payout per batch with money to pay (idempotent)
//   reswipe payouts export [--merchant M] [--date D] --out file | --file-id F --out file
//                                                          pending payouts → one transfer file, marked sent
//   reswipe payouts import-answer <file>                   the bank's answer: paid or failed (all lines or none)
//   reswipe payouts list [--merchant M] [--state S] [--date D] [--file-id F] [--json]
//   reswipe payouts show <id> [--json]
// The account number never goes on the command line (shell history, `ps`): it is read from standard
// input and sealed under the local master key before it reaches the database. Actions are audited as
// `cli:<os user>`.
import { createInterface } from 'node:readline';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { answerFileBytesMax } from '../../core/payouts/answer-file-limits.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';
import { cliActor } from '../../app/manual-handling/manual-handling-deps.ts';
import { createPayouts, type PayoutCreation } from '../../app/payouts/create-payouts.ts';
import { exportPayoutFile, renderTransferFile, type TransferFileExport } from '../../app/payouts/export-payout-file.ts';
import { importPayoutAnswer } from '../../app/payouts/import-payout-answer.ts';
import { listPayoutViews, showPayout } from '../../app/payouts/list-payouts.ts';
import type { PayoutDeps } from '../../app/payouts/payout-deps.ts';
import { setPayoutAccount, toPayoutAccountView } from '../../app/payouts/set-payout-account.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { assertBusinessDate } from '../../core/fees/business-date.ts';
import { formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';
import { payoutStates, type PayoutState } from '../../core/payouts/payout-state.ts';
import type { PayoutView } from '../../core/payouts/payout-view.ts';
import { isMember } from '../../core/vocabulary.ts';

interface CommonOptions {
  config?: string;
  json?: boolean;
}

/** A line of standard input longer than this is refused (an account number is at most 32 digits). */
const accountLineCharsMax = 100;

async function withDeps<T>(opts: CommonOptions, work: (deps: PayoutDeps) => Promise<T>): Promise<T> {
  const config = configFromCommand(opts);
  const settings = feeSettingsFromConfig(config);
  const vault = TerminalKeyVault.fromSettings(config.security);
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    return await work({ store, vault, calendar: settings.calendar, timeZone: settings.timeZone, cutoff: settings.cutoff, actor: cliActor(userInfo().username) });
  } finally {
    await store.close();
  }
}

async function readAccountNumber(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('account number: ');
  const input = createInterface({ input: process.stdin, terminal: false });
  for await (const line of input) {
    input.close();
    if (line.length > accountLineCharsMax) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'accountNumber', reason: 'the line is too long' });
    return line.trim();
  }
  throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'accountNumber', reason: 'give the account number on standard input' });
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  // The transfer file holds clear account numbers: readable by its owner only.
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

function formatView(view: PayoutView): string {
  const reason = view.reason === null ? '' : `, ${view.reason.code}: ${view.reason.bankText ?? view.reason.zh} (${view.reason.en})`;
  const arrival = view.actualArrivalDate === null ? `expected ${view.expectedArrivalDate}` : `arrived ${view.actualArrivalDate} (expected ${view.expectedArrivalDate}${view.late ? ', late' : ''})`;
  return `${view.id} ${view.merchantId} ${view.businessDate} ¥${view.amountYuan} ${view.state} to ${view.accountName} ${view.accountNumberMasked}, ${arrival}${view.fileId === null ? '' : `, file ${view.fileId}`}${reason}\n`;
}

function formatCreation(result: PayoutCreation): string {
  if ('payout' in result) {
    return `${result.batchId}: ${result.outcome} ${result.payout.id} ¥${formatMinorAsYuan(result.payout.amountMinor)} ${result.payout.state}, expected ${result.payout.expectedArrivalDate}\n`;
  }
  return `${result.batchId}: ${result.outcome} (${result.detail})\n`;
}

function stateOption(text: string | undefined): PayoutState | undefined {
  if (text === undefined) return undefined;
  if (!isMember(payoutStates, text)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--state', reason: `must be one of ${payoutStates.join(', ')}` });
  return text;
}

export function register(program: Command): void {
  const payouts = program.command('payouts').description('payouts of settlement batches to merchant bank accounts: transfer files and bank answers (docs/payouts.md)');

  const account = payouts.command('account').description("a merchant's payout bank account");
  addConfigOptions(
    account
      .command('set')
      .description('record the account; the account number is read from standard input and stored sealed')
      .requiredOption('--merchant <id>', 'merchant id')
      .requiredOption('--bank-code <code>', '12-digit CNAPS bank code (联行号)')
      .requiredOption('--account-name <name>', 'account holder name as the bank has it (户名)')
      .option('--json', 'print JSON'),
  ).action(async (opts: CommonOptions & { merchant: string; bankCode: string; accountName: string }) => {
    const accountNumber = await readAccountNumber();
    const view = await withDeps(opts, (deps) => setPayoutAccount(deps, opts.merchant, { bankCode: opts.bankCode, accountName: opts.accountName, accountNumber }, Date.now()));
    process.stdout.write(opts.json === true ? `${JSON.stringify(view)}\n` : `${view.merchantId}: ${view.accountName} ${view.accountNumberMasked} at ${view.bankCode}\n`);
  });
  addConfigOptions(account.command('show').description('show the account (number masked)').requiredOption('--merchant <id>', 'merchant id').option('--json', 'print JSON')).action(
    async (opts: CommonOptions & { merchant: string }) => {
      const view = await withDeps(opts, async (deps) => {
        const record = await deps.store.getPayoutAccount(opts.merchant);
        if (record === null) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_MISSING', { merchantId: opts.merchant, field: 'merchant' });
        return toPayoutAccountView(record);
      });
      process.stdout.write(opts.json === true ? `${JSON.stringify(view)}\n` : `${view.merchantId}: ${view.accountName} ${view.accountNumberMasked} at ${view.bankCode}\n`);
    },
  );

  addConfigOptions(
    payouts
      .command('create')
      .description('make one payout per settlement batch of the date with money to pay; a batch never gets two')
      .requiredOption('--date <date>', 'business date, YYYY-MM-DD')
      .option('--merchant <id>', 'only this merchant')
      .option('--json', 'print JSON'),
  ).action(async (opts: CommonOptions & { date: string; merchant?: string }) => {
    const businessDate = assertBusinessDate(opts.date, 'date');
    const results = await withDeps(opts, (deps) => createPayouts(deps, businessDate, Date.now(), opts.merchant));
    if (opts.json === true) process.stdout.write(`${JSON.stringify(results.map((r) => ('payout' in r ? { ...r, payout: { ...r.payout, accountNumberSealed: undefined } } : r)))}\n`);
    else {
      for (const result of results) process.stdout.write(formatCreation(result));
      if (results.length === 0) process.stdout.write(`no settlement batches for ${businessDate}; run \`reswipe settle run --date ${businessDate}\` first\n`);
    }
    // A batch that should be paid but cannot be is something to act on.
    if (results.some((r) => r.outcome === 'no_account' || r.outcome === 'batch_mismatch')) process.exitCode = 1;
  });

  addConfigOptions(
    payouts
      .command('export')
      .description('write the pending payouts into one bank transfer file (RSWPAY v1) and mark them sent; --file-id writes an earlier file again')
      .requiredOption('--out <file>', 'the transfer file to write (mode 0600)')
      .option('--merchant <id>', 'only this merchant')
      .option('--date <date>', 'only this business date')
      .option('--file-id <id>', 'write the earlier transfer file with this id again (same bytes); nothing changes state')
      .option('--json', 'print JSON'),
  ).action(async (opts: CommonOptions & { out: string; merchant?: string; date?: string; fileId?: string }) => {
    const businessDate = opts.date === undefined ? undefined : assertBusinessDate(opts.date, 'date');
    const result: TransferFileExport | null = await withDeps(opts, (deps) =>
      opts.fileId !== undefined
        ? renderTransferFile(deps, opts.fileId)
        : exportPayoutFile(deps, Date.now(), { ...(opts.merchant === undefined ? {} : { merchantId: opts.merchant }), ...(businessDate === undefined ? {} : { businessDate }) }),
    );
    if (result === null) {
      process.stdout.write(opts.json === true ? 'null\n' : 'no pending payouts\n');
      return;
    }
    writeAtomically(opts.out, result.text);
    const summary = { fileId: result.fileId, out: opts.out, payouts: result.payouts.map((p) => p.id), totalMinor: result.totalMinor };
    process.stdout.write(opts.json === true ? `${JSON.stringify(summary)}\n` : `wrote ${opts.out}: file ${result.fileId}, ${result.payouts.length} transfers, ¥${formatMinorAsYuan(result.totalMinor)}\n`);
  });

  addConfigOptions(
    payouts
      .command('import-answer')
      .description("apply the bank's answer file (RSWANS v1): payouts become paid or failed with the reason; all lines or none")
      .argument('<file>', 'the answer file')
      .option('--json', 'print JSON'),
  ).action(async (file: string, opts: CommonOptions) => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (error) {
      throw new ReswipeError('RSW_PAYOUT_FILE_INVALID', { source: file, line: 0, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable', field: 'file' });
    }
    if (size > answerFileBytesMax) throw new ReswipeError('RSW_PAYOUT_FILE_INVALID', { source: file, line: 0, reason: `the file is over ${answerFileBytesMax} bytes`, field: 'file' });
    const text = readFileSync(file, 'utf8');
    const result = await withDeps(opts, (deps) => importPayoutAnswer(deps, text, Date.now(), file));
    if (opts.json === true) {
      process.stdout.write(`${JSON.stringify({ fileId: result.fileId, paid: result.paid, failed: result.failed, unchanged: result.unchanged, payouts: result.payouts.map((p) => ({ id: p.id, state: p.state, reasonCode: p.reasonCode, reasonText: p.reasonText })) })}\n`);
    } else {
      process.stdout.write(`file ${result.fileId}: ${result.paid} paid, ${result.failed} failed, ${result.unchanged} unchanged\n`);
      for (const payout of result.payouts.filter((p) => p.state === 'failed')) process.stdout.write(`  ${payout.id} failed: ${payout.reasonCode} ${payout.reasonText ?? ''}\n`);
    }
  });

  addConfigOptions(
    payouts
      .command('list')
      .description('payouts with state, expected and actual arrival and failure reasons (account numbers masked)')
      .option('--merchant <id>', 'only this merchant')
      .option('--state <state>', `one of ${payoutStates.join(', ')}`)
      .option('--date <date>', 'only this business date')
      .option('--file-id <id>', 'only the payouts of this transfer file')
      .option('--json', 'print JSON'),
  ).action(async (opts: CommonOptions & { merchant?: string; state?: string; date?: string; fileId?: string }) => {
    const state = stateOption(opts.state);
    const date = opts.date === undefined ? undefined : assertBusinessDate(opts.date, 'date');
    const views = await withDeps(opts, (deps) =>
      listPayoutViews(
        deps.store,
        {
          ...(opts.merchant === undefined ? {} : { merchantId: opts.merchant }),
          ...(state === undefined ? {} : { state }),
          ...(date === undefined ? {} : { fromDate: date, toDate: date }),
          ...(opts.fileId === undefined ? {} : { fileId: opts.fileId }),
        },
        deps.timeZone,
      ),
    );
    if (opts.json === true) process.stdout.write(`${JSON.stringify(views)}\n`);
    else if (views.length === 0) process.stdout.write('no payouts\n');
    else for (const view of views) process.stdout.write(formatView(view));
  });

  addConfigOptions(payouts.command('show').description('one payout').argument('<id>', 'payout id').option('--json', 'print JSON')).action(async (id: string, opts: CommonOptions) => {
    const view = await withDeps(opts, (deps) => showPayout(deps.store, id, deps.timeZone));
    process.stdout.write(opts.json === true ? `${JSON.stringify(view)}\n` : formatView(view));
  });
}
