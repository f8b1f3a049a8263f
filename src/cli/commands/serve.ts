// `reswipe serve`: the gateway. Loads the configuration first (a bad key stops start-up with one
// message and nothing opened), then starts the store, channels, reversal queue, terminal listeners
// and the HTTP API, prints where it listens, and shuts down cleanly on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { startGateway } from '../../app/serve.ts';

interface ServeOptions {
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
  command.action(async (options: ServeOptions) => {
    const config = configFromCommand(options, {
      'database.url': options.databaseUrl,
      'http.port': options.httpPort,
      'listeners[0].port': options.terminalPort,
    });
    const gateway = await startGateway(config);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify({ http: gateway.httpPort, listeners: gateway.terminalPorts, ...(gateway.operationsPort === null ? {} : { operations: gateway.operationsPort }) })}\n`);
    } else {
      const listeners = config.listeners
        .map((listener) => `${listener.name} ${listener.host}:${gateway.terminalPorts[listener.name]} (${listener.dialect})`)
        .join(', ');
      const operations = gateway.operationsPort === null ? '' : ` (operations on ${config.http.operations.host}:${gateway.operationsPort})`;
      const http = gateway.httpPort === null ? 'HTTP API not built' : `${config.http.tls === undefined ? 'HTTP' : 'HTTPS'} on ${config.http.host}:${gateway.httpPort}${operations}`;
      process.stdout.write(`reswipe serve: ${http}; terminals on ${listeners || 'no listener'}; store ${gateway.store.kind}\n`);
    }
    // SIGHUP puts renewed TLS certificates into service (docs/security.md); without this handler it would end the process.
    const reloadTls = (): void => {
      gateway.reloadTls();
    };
    process.on('SIGHUP', reloadTls);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        process.stderr.write(`reswipe serve: ${signal}, finishing payments in flight\n`);
        process.off('SIGHUP', reloadTls);
        gateway
          .stop()
          .catch((error: unknown) => process.stderr.write(`reswipe serve: shutdown error ${error instanceof Error ? error.message : 'unknown'}\n`))
          .finally(() => {
            // Every handle is closed by now; this bound only guards against a stray one keeping the process up.
            setTimeout(() => process.exit(0), 2_000).unref();
            resolve();
          });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
  });
}
