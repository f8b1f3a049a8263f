// The drill's own sandbox (docs/drills.md): two issuer simulators (bank-a primary, bank-b backup) with
// their admin APIs, and the real gateway (startGateway) on a temporary SQLite file with its HTTP API
// and one terminal listener, set up the way the failover drill has always run: short channel timeouts
// and echoes so a fault shows within seconds, a breaker that opens after three failures. Development
// mode: the sandbox holds test cards only (docs/card-data.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../core/config/config-schema.ts';
import type { Logger } from '../../adapters/log/logger.ts';
import { noFaults } from '../../sim/issuer/fault-plan.ts';
import { issuerServerDefaults, startIssuerServer, type RunningIssuerServer } from '../../sim/issuer/issuer-server.ts';
import { generateApiKey } from '../../adapters/http/auth.ts';
import { composeGateway } from '../compose-gateway.ts';
import { drillCards, type DrillTarget } from './drill-target.ts';

const merchantId = 'M00000000000001';
const terminals = Array.from({ length: 8 }, (_, index) => `T000000${index + 1}`);

function startBank(logger: Logger, ports: { iso: number; admin: number }, ledgerFile?: string): Promise<RunningIssuerServer> {
  return startIssuerServer({ ...issuerServerDefaults, port: ports.iso, adminPort: ports.admin, seed: 7, faults: { ...noFaults, lateReplyMs: 3_000 }, ledgerFile, logger });
}

export async function startDrillSandbox(logger: Logger): Promise<DrillTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-drill-'));
  const ledgerA = join(dir, 'bank-a.ledger');
  let bankA: RunningIssuerServer | null = await startBank(logger, { iso: 0, admin: 0 }, ledgerA);
  const bankB = await startBank(logger, { iso: 0, admin: 0 });
  const portsA = { iso: bankA.isoPort, admin: bankA.adminPort };
  const config = validateConfig({
    database: { url: `sqlite:${join(dir, 'drill.db')}`, synchronous: 'normal' },
    security: { developmentMode: true },
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0, rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } },
    listeners: [{ name: 'pos', host: '127.0.0.1', port: 0, dialect: 'iso87-ascii' }],
    engine: { terminalTimeoutMs: 4_000, autoRetriesMax: 2, reversal: { triesMax: 60, backoffMs: 100, backoffMsMax: 500 } },
    channels: [
      { name: 'bank-a', host: '127.0.0.1', port: portsA.iso, timeoutMs: 800, priority: 1, echoIntervalMs: 300, connections: 2 },
      { name: 'bank-b', host: '127.0.0.1', port: bankB.isoPort, timeoutMs: 800, priority: 2, echoIntervalMs: 300, connections: 2 },
    ],
    routing: { breaker: { failuresMax: 3, windowMs: 10_000, windowAttemptsMin: 10, failureRateMaxBps: 5_000, openMs: 1_500, halfOpenSuccessesMin: 2 }, healthPollIntervalMs: 100 },
    merchants: [{ id: merchantId, name: 'Drill shop', mcc: '5411', terminals }],
    // Alerts evaluated every second (the fastest allowed), the reversal queue's bound low enough for a
    // short drill to cross it: the drill measures how soon someone would have been told.
    alerts: { evaluateIntervalMs: 1_000, rules: [{ id: 'reversal-queue', kind: 'reversal_queue', severity: 'critical', params: { depthMax: 2, oldestAgeMsMax: 2_000 } }] },
  });
  const gateway = await composeGateway(config, { logger });
  await gateway.start();
  const admin = generateApiKey({ scope: 'admin' }, 'drill', Date.now());
  await gateway.store.write((tx) => tx.insertApiKey(admin.record));
  const terminalPort = Object.values(gateway.terminalPorts)[0];
  return {
    label: 'sandbox',
    gatewayUrl: `http://127.0.0.1:${gateway.httpPort ?? 0}`,
    apiKey: admin.key,
    merchantId,
    terminals,
    cards: drillCards,
    primary: { channel: 'bank-a', adminUrl: `http://127.0.0.1:${portsA.admin}` },
    backup: { channel: 'bank-b', adminUrl: `http://127.0.0.1:${bankB.adminPort}` },
    terminalLink: terminalPort === undefined ? null : { host: '127.0.0.1', port: terminalPort },
    async stopPrimary() {
      await bankA?.close();
      bankA = null;
    },
    async startPrimary() {
      // The same ports and ledger file: the bank comes back with its books, as a restarted process does.
      bankA ??= await startBank(logger, portsA, ledgerA);
    },
    async close() {
      await gateway.close();
      await bankA?.close().catch(() => undefined);
      await bankB.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
