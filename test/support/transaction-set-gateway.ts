// Shared by the end-to-end tests of the transaction set: starts `reswipe issuer-sim` and `reswipe
// serve` as child processes (port 0, a config file pointing at the simulator), signs terminal
// T0000002 on over ISO 8583, and stops both again; every wait is bounded by the process helpers.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalClient, de7 } from '../e2e/terminal-client.ts';
import { startReswipeJson, stopChild } from './reswipe-process.ts';

export const transactionSetMerchantId = 'M00000000000001';
/** The terminal the ISO tests sign on and use. */
export const transactionSetTerminal = 'T0000002';

export interface TransactionSetGateway {
  /** The temporary folder holding the config file and the database. */
  dir: string;
  configPath: string;
  sim: ChildProcess;
  gateway: ChildProcess;
  /** The simulator's admin API port (`/ledger`). */
  adminPort: number;
  terminalPort: number;
  httpPort: number;
  /** Connected and signed on as `transactionSetTerminal`. */
  client: TerminalClient;
  stop(): Promise<void>;
}

/** Starts the simulator and the gateway in a new temporary folder; `nextStan` numbers the sign-on. */
export async function startTransactionSetGateway(nextStan: () => string, dirPrefix = 'reswipe-e2e-txn-'): Promise<TransactionSetGateway> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  let sim: ChildProcess | undefined;
  let gateway: ChildProcess | undefined;
  let client: TerminalClient | undefined;
  const stop = async (): Promise<void> => {
    client?.close();
    await stopChild(gateway);
    await stopChild(sim);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await startReswipeJson(['issuer-sim', '--port', '0', '--admin-port', '0', '--json'], { cwd: dir, onSpawn: (child) => (sim = child) });
    const configPath = join(dir, 'config.json');
    const config = {
      database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'normal' },
      security: { panKey: 'e2e-test-pan-key-0123456789', developmentMode: true },
      http: { port: 0 },
      engine: { terminalTimeoutMs: 9_000, reversal: { triesMax: 6, backoffMs: 200, backoffMsMax: 1_000 } },
      listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
      channels: [{ name: 'sim', host: '127.0.0.1', port: Number(started.info.isoPort), timeoutMs: 2_000, echoIntervalMs: 0 }],
      merchants: [{ id: transactionSetMerchantId, name: 'E2E shop', mcc: '5411', terminals: ['T0000001', transactionSetTerminal] }],
    };
    writeFileSync(configPath, JSON.stringify(config));
    const served = await startReswipeJson(['serve', '--config', configPath, '--json'], { cwd: dir, onSpawn: (child) => (gateway = child) });
    const terminalPort = Number((served.info.listeners as Record<string, number>).pos);
    client = await TerminalClient.connect(terminalPort);
    const signOn = await client.request({ mti: '0800', fields: { 7: de7(), 11: nextStan(), 41: transactionSetTerminal, 70: '001' } });
    assert.equal(signOn.fields[39], '00');
    return {
      dir,
      configPath,
      sim: started.child,
      gateway: served.child,
      adminPort: Number(started.info.adminPort),
      terminalPort,
      httpPort: Number(served.info.http),
      client,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
