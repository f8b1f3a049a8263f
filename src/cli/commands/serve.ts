// `reswipe serve`: the gateway. Loads the configuration first (a bad key stops start-up with one
// message and nothing opened), then runs the gateway (src/app/serve.ts) until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { serve } from '../../app/serve.ts';

interface ServeCommandOptions {
  config?: string;
  databaseUrl?: string;
  httpPort?: string;
  terminalPort?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('serve')
    .description('run the gateway: terminal ISO 8583 listener(s), HTTP API, reversal queue')
    .option('--database-url <url>', 'sqlite:<path> or postgres://... (overrides database.url)')
    .option('--http-port <port>', 'HTTP port (0 = any free port; overrides http.port)')
    .option('--terminal-port <port>', 'port of the first terminal listener (0 = any free port; overrides listeners[0].port)')
    .option('--json', 'print where it listens as one JSON line: {"http":port,"listeners":{name:port},"operations":port}');
  addConfigOptions(command);
  command.action(async (options: ServeCommandOptions) => {
    const config = configFromCommand(options, {
      'database.url': options.databaseUrl,
      'http.port': options.httpPort,
      'listeners[0].port': options.terminalPort,
    });
    await serve(config, { json: options.json === true });
  });
}
