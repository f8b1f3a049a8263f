// `reswipe load`: a load generator for a reswipe terminal listener (iso://) or HTTP API (http://),
// at a target rate or concurrency for a duration; a progress bar on stderr when it is a TTY, then
// throughput, latency percentiles and outcomes by code and verdict (text, or --json).
import type { Command } from 'commander';
import { readTerminalMasterKeys } from '../../app/terminal-emulator/terminal-master-keys-file.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { formatLoadReport } from '../../app/load/load-stats.ts';
import { cardPool, loadLimits, parseTarget, runLoad } from '../../app/load/run-load.ts';
import { framingOption, integerOption } from '../option-parsers.ts';

interface LoadCommandOptions {
  target: string;
  apiKey?: string;
  rate?: string;
  concurrency?: string;
  duration: string;
  cards: string;
  dialect: string;
  framing: string;
  terminalIds: string;
  merchantId: string;
  connections?: string;
  timeoutMs: string;
  seed?: string;
  terminalKeysFile?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('load')
    .description('load generator: sales at a rate or concurrency for a duration, then throughput, latency percentiles and outcomes')
    .requiredOption('--target <url>', 'iso://host:port (terminal listener) or http://host:port (HTTP API)')
    .option('--api-key <key>', 'API key for an HTTP target (reswipe demo prints an admin key)')
    .option('--rate <n>', 'sales per second (open loop)')
    .option('--concurrency <n>', 'workers, each sending its next sale when the last is answered (closed loop; default 4)')
    .option('--duration <seconds>', 'how long to send', '10')
    .option('--cards <mix>', 'ok, mix (about 20 % declines) or test card ids separated by commas', 'mix')
    .option('--dialect <dialect>', 'terminal listener dialect for iso targets', 'cups-pos')
    .option('--framing <framing>', 'binary2 or ascii4', 'binary2')
    .option('--terminal-ids <ids>', 'terminals to sign on as, comma separated (one connection each, cycled)', 'T0000001,T0000002,T0000003,T0000004,T0000007')
    .option('--merchant-id <id>', 'merchant (DE 42 or the HTTP body merchantId)', '898110053110001')
    .option('--connections <n>', 'connections in rate mode (default: one per terminal id)')
    .option('--timeout-ms <ms>', 'how long one sale may wait for its answer', '65000')
    .option('--seed <n>', 'seed for cards and amounts (default: from the clock)')
    .option('--terminal-keys-file <path>', 'JSON file (mode 0600) with the terminals\' master keys: each signs on for working keys and MACs its sales (reswipe demo writes one)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: LoadCommandOptions) => {
      const target = parseTarget(opts.target);
      if (opts.rate !== undefined && opts.concurrency !== undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'rate', reason: 'give --rate or --concurrency, not both' });
      const rate = opts.rate === undefined ? undefined : integerOption('rate', opts.rate, 1, loadLimits.rateMax);
      const concurrency = rate !== undefined ? undefined : integerOption('concurrency', opts.concurrency ?? '4', 1, loadLimits.concurrencyMax);
      const framing = framingOption(opts.framing);
      const terminalIds = opts.terminalIds.split(',').map((id) => id.trim()).filter((id) => id.length > 0);
      if (terminalIds.length === 0 || terminalIds.some((id) => id.length > 8)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-ids', reason: 'must be terminal ids of 1 to 8 characters, comma separated' });
      cardPool(opts.cards); // Validates --cards before any connection opens.
      const durationSeconds = integerOption('duration', opts.duration, 1, loadLimits.durationSecondsMax);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const showBar = process.stderr.isTTY === true && opts.json !== true;
      try {
        const report = await runLoad({
          target,
          ...(rate === undefined ? {} : { rate }),
          ...(concurrency === undefined ? {} : { concurrency }),
          durationSeconds,
          cards: opts.cards,
          dialect: opts.dialect,
          framing,
          terminalIds,
          merchantId: opts.merchantId,
          ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
          ...(opts.terminalKeysFile === undefined ? {} : { masterKeys: readTerminalMasterKeys(opts.terminalKeysFile) }),
          ...(opts.connections === undefined ? {} : { connections: integerOption('connections', opts.connections, 1, loadLimits.connectionsMax) }),
          requestTimeoutMs: integerOption('timeout-ms', opts.timeoutMs, 100, 600_000),
          seed: opts.seed === undefined ? Date.now() % 0x7fff_ffff : integerOption('seed', opts.seed, 0, 0x7fff_ffff),
          signal: abort.signal,
          ...(showBar
            ? {
                onProgress: (finished: number, fraction: number) => {
                  const width = 30;
                  const filled = Math.round(width * fraction);
                  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}%  ${finished} finished`);
                },
              }
            : {}),
        });
        if (showBar) process.stderr.write('\n');
        process.stdout.write(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatLoadReport(report));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
