// `reswipe demo`: starts the sandbox banks and the gateway on a fresh SQLite file, plays a shop day
// with every failure cause, prints where to look, and keeps serving until stopped (or --duration).
import type { Command } from 'commander';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { formatDemoSummary, startDemo } from '../../app/demo/run-demo.ts';

interface DemoCommandOptions {
  dir: string;
  httpPort?: string;
  terminalPort?: string;
  duration?: string;
  logLevel: string;
  json?: boolean;
}

function portOf(field: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(/^\d+$/.test(text) && value <= 65_535)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: 'must be a port from 0 to 65535 (0 picks a free one)' });
  return value;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the sandbox banks and the gateway on a fresh SQLite file, play a shop day with every failure cause, print where to look')
    .option('--dir <path>', 'demo folder (its SQLite file is recreated each run)', './reswipe-demo')
    .option('--http-port <port>', 'HTTP API port; default RESWIPE_HTTP_PORT or 8080 (0 = any free port)')
    .option('--terminal-port <port>', 'cups-pos terminal port; default RESWIPE_TERMINAL_PORT or 8583 (0 = any free port)')
    .option('--duration <seconds>', 'stop by itself this many seconds after the summary (default: serve until Ctrl-C)')
    .option('--log-level <level>', 'gateway log level on stderr', 'error')
    .option('--json', 'print the summary as one JSON line instead of text')
    .action(async (opts: DemoCommandOptions) => {
      const httpPort = portOf('http-port', opts.httpPort ?? process.env.RESWIPE_HTTP_PORT, 8080);
      const terminalPort = portOf('terminal-port', opts.terminalPort ?? process.env.RESWIPE_TERMINAL_PORT, 8583);
      let durationMs: number | null = null;
      if (opts.duration !== undefined) {
        if (!/^\d{1,7}$/.test(opts.duration)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'duration', reason: 'must be whole seconds from 0 to 9999999' });
        durationMs = Number(opts.duration) * 1000;
      }
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const running = await startDemo({ dir: opts.dir, httpPort, terminalPort, logLevel: opts.logLevel, progress: process.stderr, signal: abort.signal });
        try {
          process.stdout.write(
            opts.json === true
              ? `${JSON.stringify({ httpUrl: running.httpUrl, adminKey: running.adminKey, terminalPorts: running.terminalPorts, databaseFile: running.databaseFile, summary: running.summary })}\n`
              : formatDemoSummary(running),
          );
          if (!abort.signal.aborted) {
            process.stderr.write(durationMs === null ? 'serving; press Ctrl-C to stop\n' : `serving for ${durationMs / 1000} s more\n`);
            await new Promise<void>((resolve) => {
              const timer = durationMs === null ? null : setTimeout(resolve, durationMs);
              abort.signal.addEventListener('abort', () => {
                if (timer !== null) clearTimeout(timer);
                resolve();
              }, { once: true });
            });
          }
        } finally {
          process.stderr.write('reswipe demo stopping\n');
          await running.stop();
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
