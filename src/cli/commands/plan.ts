// `reswipe plan --merchant <id> [--lang zh|en] [--json]`: the merchant's emergency plan (应急预案) from
// the configuration: its banks and backups, what switches automatically, what the cashier says, whom to
// call (docs/drills.md#the-emergency-plan). Reads the config, the routing rules and the BIN table only.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { loadBinTable } from '../../adapters/declines/bin-table-file.ts';
import { loadRoutingRules } from '../../adapters/config/routing-rules-file.ts';
import { buildEmergencyPlan, formatEmergencyPlan } from '../../core/drills/emergency-plan.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';

interface PlanOptions {
  merchant: string;
  lang: string;
  json?: boolean;
  config?: string;
}

export function register(program: Command): void {
  addConfigOptions(
    program
      .command('plan')
      .description("a merchant's emergency plan from the configuration: banks and backups, automatic switching, what the cashier says, whom to call")
      .requiredOption('--merchant <id>', 'merchant id (DE 42) from the configuration')
      .option('--lang <zh|en>', 'language of the printed plan', 'zh')
      .option('--json', 'print the plan as JSON (both languages)'),
  ).action((options: PlanOptions) => {
    if (options.lang !== 'zh' && options.lang !== 'en') throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--lang', reason: 'must be zh or en' });
    const config = configFromCommand(options);
    const plan = buildEmergencyPlan(config, options.merchant, loadRoutingRules(config), loadBinTable(config.declines.binTableFile));
    if (plan === null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--merchant', reason: `no merchant ${options.merchant} in the configuration` });
    process.stdout.write(options.json === true ? `${JSON.stringify(plan, null, 2)}\n` : formatEmergencyPlan(plan, options.lang));
  });
}
