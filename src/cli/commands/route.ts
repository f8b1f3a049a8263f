// `reswipe route`: which channel a sale would take and why, from the routing rules of the config.
// It reads only the config and the rules file: no database, no network, so it is safe on any host.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { loadBinTable } from '../../adapters/declines/bin-table-file.ts';
import { loadRoutingRules } from '../../adapters/config/routing-rules-file.ts';
import { lookupCard } from '../../core/cards/lookup-card.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { parseYuanToMinor, formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';
import { chooseRoute } from '../../core/routing/choose-route.ts';
import { SeededRandom } from '../../core/time/random.ts';
import { cardBrands, cardTypes, isMember, type CardBrand, type CardType } from '../../core/vocabulary.ts';

interface RouteOptions {
  panBin?: string;
  amount?: string;
  merchant?: string;
  mcc?: string;
  brand?: string;
  cardType?: string;
  seed?: string;
  json?: boolean;
  config?: string;
}

export function register(program: Command): void {
  addConfigOptions(
    program
      .command('route')
      .description('explain which upstream channel a sale would take and why (routing rules, priorities, weights)')
      .requiredOption('--pan-bin <digits>', 'first 6 to 8 digits of the card number')
      .requiredOption('--amount <yuan>', 'amount in yuan, like 100.00')
      .option('--merchant <id>', 'merchant id (DE 42); its MCC is taken from the config when known', '')
      .option('--mcc <mcc>', 'merchant category code (default: the merchant\'s, else 0000)')
      .option('--brand <brand>', `card brand instead of the BIN table's: ${cardBrands.join(', ')}`)
      .option('--card-type <type>', `card type instead of the BIN table's: ${cardTypes.join(', ')}`)
      .option('--seed <n>', 'seed for the weighted draw among equal priorities (default 1)', '1')
      .option('--json', 'print the choice as JSON'),
  ).action((options: RouteOptions) => {
    const bin = options.panBin ?? '';
    if (!/^[0-9]{6,8}$/.test(bin)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'pan-bin', reason: 'must be 6 to 8 digits' });
    const amountMinor = parseYuanToMinor(options.amount ?? '', 'amount');
    const seed = Number(options.seed);
    if (!Number.isSafeInteger(seed)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'seed', reason: 'must be an integer' });
    const config = configFromCommand(options);
    const card = lookupCard(bin, loadBinTable(config.declines.binTableFile));
    const brand: CardBrand = options.brand === undefined ? card.brand : checked(cardBrands, options.brand, 'brand');
    const cardType: CardType = options.cardType === undefined ? card.type : checked(cardTypes, options.cardType, 'card-type');
    const merchantId = options.merchant ?? '';
    const mcc = options.mcc ?? config.merchants.find((merchant) => merchant.id === merchantId)?.mcc ?? '0000';
    if (!/^[0-9]{4}$/.test(mcc)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'mcc', reason: 'must be 4 digits' });
    const rules = loadRoutingRules(config);
    const choice = chooseRoute(rules, { brand, cardType, bin, amountMinor, merchantId, mcc }, config.channels, new SeededRandom(seed));
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify({ input: { bin, brand, cardType, amountMinor, merchantId, mcc }, ...choice }, null, 2)}\n`);
      return;
    }
    const lines = [
      `sale      BIN ${bin} (${brand}, ${cardType}), ¥${formatMinorAsYuan(amountMinor)}, merchant ${merchantId === '' ? '(none)' : merchantId}, MCC ${mcc}`,
      `rule      ${choice.rule}`,
      `channels  ${choice.channels.length === 0 ? '(none: the sale would be declined locally, not sent)' : choice.channels.map((channel) => channel.name).join(' -> ')}`,
      'why',
      ...choice.why.map((reason) => `  - ${reason}`),
      'At run time an open circuit skips its channel; see GET /v1/channels.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  });
}

function checked<T extends string>(list: readonly T[], value: string, field: string): T {
  if (!isMember(list, value)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be one of ${list.join(', ')}` });
  return value;
}
