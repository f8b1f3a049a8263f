// `reswipe settle run --date D [--merchant M]` builds and stores each merchant's settlement batch
// for a business date (gross, refunds, fees, net, payout date) and reconciles it;
// `reswipe settle export --date D --merchant M [--out file]` writes the statement (对账单) CSV.
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';
import { exportStatement, settleDay, type DaySettlement } from '../../app/fees/settle-day.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { assertBusinessDate } from '../../core/fees/business-date.ts';
import { settleModes } from '../../core/fees/fee-plan.ts';
import { formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';
import { isMember } from '../../core/vocabulary.ts';

function formatSettlement(result: DaySettlement): string {
  const { batch, reconciliation } = result;
  const check = reconciliation.ok
    ? 'reconciled'
    : `NOT RECONCILED: ${[...reconciliation.differences.map((d) => `${d.field} ${d.batchMinor} != ${d.recomputedMinor}`), ...reconciliation.problems.map((p) => `${p.paymentId} ${p.problem}`)].join('; ')}`;
  return `${batch.merchantId} ${batch.businessDate}: gross ¥${formatMinorAsYuan(batch.grossMinor)}, refunds ¥${formatMinorAsYuan(batch.refundsMinor)}, fees ¥${formatMinorAsYuan(batch.feesMinor)}, net ¥${formatMinorAsYuan(batch.netMinor)}, ${result.lines.length} lines, payout ${batch.payoutDate} (${batch.settleMode}), ${check}\n`;
}

export function register(program: Command): void {
  const settle = program.command('settle').description('daily settlement batches and statement CSV files');

  addConfigOptions(
    settle
      .command('run')
      .description("build, reconcile and store each merchant's batch for a business date")
      .requiredOption('--date <date>', 'business date, YYYY-MM-DD')
      .option('--merchant <id>', 'only this merchant (default: every merchant)')
      .option('--settle <mode>', 'settlement mode t1 or d0 (default fees.settleMode)')
      .option('--cutoff <HH:MM>', 'daily cut-off in the settlement time zone', '23:00')
      .option('--json', 'print JSON'),
  ).action(async (opts: { date: string; merchant?: string; settle?: string; cutoff: string; json?: boolean; config?: string }) => {
    const businessDate = assertBusinessDate(opts.date, 'date');
    if (opts.settle !== undefined && !isMember(settleModes, opts.settle)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'settle', reason: 'must be t1 or d0' });
    const config = configFromCommand(opts);
    const settings = feeSettingsFromConfig(config, { cutoff: opts.cutoff });
    const store = await openStore(config.database.url);
    try {
      // A merchant whose batch is already paid or in a payout keeps it (docs/payouts.md): said on stderr, not an error.
      const results = await settleDay(store, businessDate, { ...settings, settleMode: opts.settle ?? settings.settleMode }, Date.now(), opts.merchant, (merchantId, reason) => {
        process.stderr.write(`${merchantId} ${businessDate}: kept as it is (${reason.code}: ${reason.message})\n`);
      });
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(results.map((r) => ({ ...r.batch, lines: r.lines.length, reconciliation: r.reconciliation })))}\n`);
      } else {
        for (const result of results) process.stdout.write(formatSettlement(result));
        if (results.length === 0) process.stdout.write(`no merchants to settle for ${businessDate}\n`);
      }
      if (results.some((r) => !r.reconciliation.ok)) process.exitCode = 1;
    } finally {
      await store.close();
    }
  });

  addConfigOptions(
    settle
      .command('export')
      .description('write the statement (对账单) CSV of a stored batch; columns in a fixed order (docs/settlement.md)')
      .requiredOption('--date <date>', 'business date, YYYY-MM-DD')
      .requiredOption('--merchant <id>', 'merchant id')
      .option('--out <file>', 'write to this file instead of standard output')
      .option('--cutoff <HH:MM>', 'daily cut-off in the settlement time zone', '23:00'),
  ).action(async (opts: { date: string; merchant: string; out?: string; cutoff: string; config?: string }) => {
    const businessDate = assertBusinessDate(opts.date, 'date');
    const config = configFromCommand(opts);
    const settings = feeSettingsFromConfig(config, { cutoff: opts.cutoff });
    const store = await openStore(config.database.url);
    try {
      const csv = await exportStatement(store, opts.merchant, businessDate, { timeZone: settings.timeZone, cutoff: settings.cutoff });
      if (opts.out === undefined) {
        process.stdout.write(csv);
      } else {
        const temporary = `${opts.out}.${process.pid}.tmp`;
        writeFileSync(temporary, csv);
        renameSync(temporary, opts.out);
        process.stderr.write(`wrote ${opts.out}\n`);
      }
    } finally {
      await store.close();
    }
  });
}
