// `reswipe standing --merchant ID [--month YYYY-MM] [--json]`: a merchant's standing for a month
// (docs/standing.md): decline ratio, fallback ratio and the worst cards against the scheme retry limits,
// each against its threshold. Reads only; card fingerprints are shown as a 12-digit prefix, never a PAN.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { loadMerchantStanding } from '../../app/standing/load-merchant-standing.ts';
import { toStandingView } from '../../core/standing/standing-view.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { MerchantStanding, StandingMeasureResult } from '../../core/standing/merchant-standing.ts';

interface StandingOptions {
  config?: string;
  merchant?: string;
  month?: string;
  json?: boolean;
}

function percent(bps: number): string {
  return `${(bps / 100).toFixed(2)} %`;
}

function measureLine(measure: StandingMeasureResult): string {
  const value = measure.unit === 'bps' ? percent(measure.value) : String(measure.value);
  const threshold = measure.unit === 'bps' ? percent(measure.threshold) : String(measure.threshold);
  const notes = [
    measure.enoughSales === false ? 'too few sales to judge' : '',
    measure.edition === undefined ? '' : `rules ${measure.edition}`,
    measure.worstCards === undefined || measure.worstCards.length === 0 ? '' : `worst cards ${measure.worstCards.map((card) => `${card.fingerprintPrefix}…=${card.value}`).join(', ')}`,
  ].filter((note) => note !== '');
  return `  ${measure.measure.padEnd(34)} ${measure.state.padEnd(4)} ${value} of ${threshold} (${percent(measure.shareBps)} of the threshold)${notes.length === 0 ? '' : `  ${notes.join('; ')}`}`;
}

export function renderStandingText(standing: MerchantStanding): string {
  return [
    `merchant ${standing.merchantId}, month ${standing.month}, as of ${new Date(standing.asOfMs).toISOString()}: ${standing.state}${standing.truncated ? ' (a read hit its bound: counts cover part of the month)' : ''}`,
    ...standing.measures.map(measureLine),
    '',
  ].join('\n');
}

export function register(program: Command): void {
  addConfigOptions(
    program
      .command('standing')
      .description("a merchant's standing for a month: decline ratio, fallback ratio and the scheme retry limits, each against its threshold")
      .requiredOption('--merchant <id>', 'merchant id')
      .option('--month <YYYY-MM>', 'month of business dates (default: the running month)')
      .option('--json', 'print the standing as JSON'),
  ).action(async (options: StandingOptions) => {
    const merchantId = options.merchant ?? '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(merchantId)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'merchant', reason: 'must be a merchant id (letters, digits, _ . -; at most 64)' });
    const config = configFromCommand(options);
    const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const standing = await loadMerchantStanding(store, merchantId, {
        ...(options.month === undefined ? {} : { month: options.month }),
        nowMs: Date.now(),
        settings: config.standing,
        calendar: { timeZone: config.fees.settlementTimeZone },
      });
      process.stdout.write(options.json === true ? `${JSON.stringify(toStandingView(standing), null, 2)}\n` : renderStandingText(standing));
    } finally {
      await store.close();
    }
  });
}
