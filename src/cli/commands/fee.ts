// `reswipe fee`: a fee quote for an amount, method and plan (the article's numbers by default),
// and `reswipe fee compare`: a merchant's period priced again under another plan.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import type { FeeComparison } from '../../app/fees/compare-fee-plans.ts';
import { feeSettingsFromConfig } from '../../app/fees/fee-settings.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { assertBusinessDate } from '../../core/fees/business-date.ts';
import { defaultFeePlanName } from '../../core/fees/builtin-fee-plans.ts';
import { computeFee, type FeeQuote } from '../../core/fees/compute-fee.ts';
import { settleModes, type SettleMode } from '../../core/fees/fee-plan.ts';
import { formatMinorAsYuan, parseYuanToMinor } from '../../core/fees/parse-yuan.ts';
import { getFeePlan } from '../../core/fees/validate-fee-plans.ts';
import { isMember, paymentMethods } from '../../core/vocabulary.ts';

interface QuoteOptions {
  amount?: string;
  method?: string;
  plan?: string;
  mcc?: string;
  at?: string;
  settle?: string;
  json?: boolean;
  config?: string;
}

function settleModeOption(text: string | undefined, fallback: SettleMode): SettleMode {
  if (text === undefined) return fallback;
  if (!isMember(settleModes, text)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'settle', reason: `must be one of ${settleModes.join(', ')}` });
  return text;
}

function atOption(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const atMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(atMs)) throw new ReswipeError('RSW_FEE_BAD_DATE', { field: 'at', reason: 'must be an ISO 8601 time with a zone, like 2026-07-01T12:00:00+08:00' });
  return atMs;
}

function formatQuote(quote: FeeQuote): string {
  const percent = `${Math.trunc(quote.rateBps / 100)}.${String(quote.rateBps % 100).padStart(2, '0')} %`;
  const notes = [quote.capped ? 'capped' : '', quote.floored ? 'raised to the minimum' : '', quote.limitedToAmount ? 'limited to the amount' : ''].filter((note) => note !== '');
  return [
    `amount     ¥${formatMinorAsYuan(quote.amountMinor)}`,
    `method     ${quote.method}`,
    `plan       ${quote.plan} (rule ${quote.rule}, rounding ${quote.rounding})`,
    `rate       ${quote.rateBps} bp = ${percent}`,
    `rate fee   ¥${formatMinorAsYuan(quote.rateFeeMinor)}${quote.rateFeeMinor === quote.roundedFeeMinor ? '' : ` (rounded ¥${formatMinorAsYuan(quote.roundedFeeMinor)})`}${notes.length === 0 ? '' : ` [${notes.join(', ')}]`}`,
    `surcharge  ¥${formatMinorAsYuan(quote.surchargeMinor)} (${quote.settleMode})`,
    `fee        ¥${formatMinorAsYuan(quote.feeMinor)}`,
    `net        ¥${formatMinorAsYuan(quote.netMinor)}`,
    '',
  ].join('\n');
}

function formatComparison(result: FeeComparison): string {
  const lines = [
    `merchant ${result.merchantId}, ${result.fromDate} to ${result.toDate}: ${result.payments} approved sales, ¥${formatMinorAsYuan(result.amountMinor)}`,
    `  current fees (${result.currentPlan}): ¥${formatMinorAsYuan(result.currentFeesMinor)}`,
    `  under ${result.plan}: ¥${formatMinorAsYuan(result.whatIfFeesMinor)}  (difference ${result.differenceMinor >= 0 ? '+' : ''}${formatMinorAsYuan(result.differenceMinor)})`,
  ];
  for (const row of result.byMethod) {
    lines.push(`  ${row.method.padEnd(12)} ${String(row.payments).padStart(6)} sales  ¥${formatMinorAsYuan(row.amountMinor).padStart(14)}  now ¥${formatMinorAsYuan(row.currentFeesMinor)}  then ¥${formatMinorAsYuan(row.whatIfFeesMinor)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  // `fee` and `fee compare` both take --plan. With positional options, options after a subcommand
  // belong to it; this only affects runs of `reswipe fee`, the only command loaded for them.
  program.enablePositionalOptions();
  const fee = addConfigOptions(
    program
      .command('fee')
      .description('fee quote for an amount, method and plan; `fee compare` prices a past period under another plan')
      .option('--amount <yuan>', 'amount in yuan, like 333.33')
      .option('--method <method>', `payment method: ${paymentMethods.join(', ')}`)
      .option('--plan <plan>', `fee plan (default ${defaultFeePlanName})`)
      .option('--mcc <mcc>', 'merchant category code, for industry rates and MCC-scoped promotions')
      .option('--at <time>', 'time of the payment, ISO 8601 with a zone (promotions depend on it); default now')
      .option('--settle <mode>', 'settlement: t1 or d0 (D0 adds the plan surcharge)')
      .option('--json', 'print the quote as JSON')
      .enablePositionalOptions(),
  ).action((opts: QuoteOptions) => {
    if (opts.amount === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'amount', reason: 'is required (yuan, like 333.33)' });
    if (opts.method === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'method', reason: `is required (${paymentMethods.join(', ')})` });
    const settings = feeSettingsFromConfig(configFromCommand(opts));
    const quote = computeFee({
      amountMinor: parseYuanToMinor(opts.amount),
      method: opts.method,
      plan: getFeePlan(settings.plans, opts.plan ?? defaultFeePlanName),
      mcc: opts.mcc,
      atMs: atOption(opts.at),
      settleMode: settleModeOption(opts.settle, 't1'),
    });
    process.stdout.write(opts.json === true ? `${JSON.stringify(quote)}\n` : formatQuote(quote));
  });

  addConfigOptions(
    fee
      .command('compare')
      .description("what-if: a merchant's approved sales of a period priced under another plan, next to the fees recorded")
      .requiredOption('--merchant <id>', 'merchant id')
      .requiredOption('--from <date>', 'first business date, YYYY-MM-DD')
      .requiredOption('--to <date>', 'last business date, YYYY-MM-DD')
      .requiredOption('--plan <plan>', 'the plan to compare with')
      .option('--settle <mode>', 'settlement mode to price with: t1 or d0 (default fees.settleMode)')
      .option('--cutoff <HH:MM>', 'daily cut-off in the settlement time zone', '23:00')
      .option('--json', 'print JSON'),
  ).action(async (opts: { merchant: string; from: string; to: string; plan: string; settle?: string; cutoff: string; json?: boolean; config?: string }) => {
    const config = configFromCommand(opts);
    const settings = feeSettingsFromConfig(config, { cutoff: opts.cutoff });
    const fromDate = assertBusinessDate(opts.from, 'from');
    const toDate = assertBusinessDate(opts.to, 'to');
    // Loaded here so a quote never loads the database drivers.
    const [{ openStore }, { compareFeePlans }, { readFeePlansInForce }, { createLogger }] = await Promise.all([
      import('../../adapters/store/open-store.ts'),
      import('../../app/fees/compare-fee-plans.ts'),
      import('../../app/fees/live-fee-plans.ts'),
      import('../../adapters/log/logger.ts'),
    ]);
    const store = await openStore(config.database.url);
    try {
      // The stored plans, as `serve` prices with them (a plan changed through the API included: docs/fees.md).
      const plans = await readFeePlansInForce(store, settings.plans, createLogger({ level: config.log.level, name: 'fee', destination: 2 }));
      getFeePlan(plans, opts.plan);
      const result = await compareFeePlans(store, {
        merchantId: opts.merchant,
        fromDate,
        toDate,
        plan: opts.plan,
        plans,
        timeZone: settings.timeZone,
        cutoff: settings.cutoff,
        settleMode: settleModeOption(opts.settle, settings.settleMode),
      });
      process.stdout.write(opts.json === true ? `${JSON.stringify(result)}\n` : formatComparison(result));
    } finally {
      await store.close();
    }
  });
}
