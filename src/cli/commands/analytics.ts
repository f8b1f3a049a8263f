// `reswipe analytics rebuild [--json]`: empties the hourly analytics rollup (docs/analytics.md) and
// fills it again from the whole payment journal, as the gateway's analytics projector would have. For a
// database whose history was loaded without the projector (a prefilled bench file, an import), or after
// the rollup's rules changed. Safe while the gateway runs: the rebuild and the gateway's projector take
// turns by the checkpoint (a batch whose checkpoint moved is skipped), and the figures are complete when it ends.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { AnalyticsProjector } from '../../app/projector/analytics-projector.ts';

export function register(program: Command): void {
  const analytics = program.command('analytics').description('the hourly failure-analytics rollup behind GET /v1/analytics/...');
  addConfigOptions(
    analytics
      .command('rebuild')
      .description('empty the analytics rollup and fill it again from the whole payment journal')
      .option('--json', 'print the report as JSON'),
  ).action(async (options: { config?: string; json?: boolean }) => {
    const config = configFromCommand(options);
    const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const silent = { debug() {}, info() {}, warn() {}, error() {} };
      const projector = new AnalyticsProjector({ store, clock: { nowMs: () => Date.now() }, logger: silent, batchMax: 1000, timeZone: config.fees.settlementTimeZone });
      const startedMs = Date.now();
      await projector.reset();
      const entries = await projector.drain();
      const seconds = (Date.now() - startedMs) / 1000;
      if (options.json === true) process.stdout.write(`${JSON.stringify({ entries, seconds })}\n`);
      else process.stdout.write(`analytics rollup rebuilt from ${entries} journal entries in ${seconds.toFixed(1)} s\n`);
    } finally {
      await store.close();
    }
  });
}
