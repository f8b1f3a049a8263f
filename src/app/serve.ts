// `reswipe serve`: the gateway that composeGateway() wires (compose-gateway.ts), started, announced,
// and stopped on a signal. SIGHUP puts renewed TLS certificates into service; SIGTERM and SIGINT stop
// taking requests, finish those in flight (bounded) and close the store (Gateway.close()).
import type { ReswipeConfig } from '../core/config/config-schema.ts';
import { composeGateway } from './compose-gateway.ts';

export interface ServeOptions {
  /** Print where it listens as one JSON line: {"http":port,"listeners":{name:port},"operations":port}. */
  json: boolean;
}

/** Runs the gateway for a validated config until SIGTERM or SIGINT; resolves once it is closed. */
export async function serve(config: ReswipeConfig, options: ServeOptions): Promise<void> {
  const gateway = await composeGateway(config);
  await gateway.start();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ http: gateway.httpPort, listeners: gateway.terminalPorts, ...(gateway.operationsPort === null ? {} : { operations: gateway.operationsPort }) })}\n`);
  } else {
    const listeners = config.listeners.map((listener) => `${listener.name} ${listener.host}:${gateway.terminalPorts[listener.name]} (${listener.dialect})`).join(', ');
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
        .close()
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
}
