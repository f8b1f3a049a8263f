// `reswipe drill`: rehearse the emergency plan (应急预案演练, docs/drills.md).
//   reswipe drill list [--json]                         the scenarios and what each rehearses
//   reswipe drill run <scenario|all> [--json] [--short] in a sandbox of its own (two sandbox banks, the
//                                                        real gateway, sale lanes), scored and printed
//   reswipe drill run <scenario> --target <gatewayUrl> --api-key-file <file>
//        --primary <channel>=<bankAdminUrl> --backup <channel>=<bankAdminUrl> [--merchant id]
//        [--terminals T1,T2] [--terminal-link host:port]  against a staging gateway and its sandbox banks
//   reswipe drill reports [--json] [--limit n]          the stored reports, newest first
// A report is stored in the configured database (--config, --database-url, RESWIPE_CONFIG or
// RESWIPE_DATABASE_URL) unless --no-store; GET /v1/drills serves them. Exit code 1 when a drill fails.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { createLogger } from '../../adapters/log/logger.ts';
import { openStore } from '../../adapters/store/open-store.ts';
import { drillScenarios, findDrillScenario, type DrillScenario } from '../../core/drills/drill-scenarios.ts';
import { formatDrillScore } from '../../core/drills/score-drill.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { DrillReportRecord } from '../../core/ports/store.ts';
import { startDrillSandbox } from '../../app/drills/drill-sandbox.ts';
import { remoteDrillTarget } from '../../app/drills/remote-drill-target.ts';
import { runDrill, type DrillRun } from '../../app/drills/run-drill.ts';
import { drillReportOf } from '../../app/drills/store-drill-report.ts';

interface RunOptions {
  json?: boolean;
  short?: boolean;
  store?: boolean;
  config?: string;
  databaseUrl?: string;
  target?: string;
  apiKeyFile?: string;
  primary?: string;
  backup?: string;
  merchant?: string;
  terminals?: string;
  terminalLink?: string;
}

function scenariosNamed(name: string): DrillScenario[] {
  if (name === 'all') return [...drillScenarios];
  const scenario = findDrillScenario(name);
  if (scenario === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'scenario', reason: `unknown scenario ${name}; known: ${drillScenarios.map((known) => known.name).join(', ')}, all` });
  return [scenario];
}

function bankOption(field: string, text: string | undefined): { channel: string; adminUrl: string } {
  const match = text === undefined ? null : /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})=(https?:\/\/[^\s]{1,2000})$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: 'must be <channel>=<bank admin URL>, e.g. bank-a=http://10.0.0.5:9101' });
  return { channel: match[1], adminUrl: match[2].replace(/\/+$/, '') };
}

function terminalLinkOption(text: string | undefined): { host: string; port: number } | null {
  if (text === undefined) return null;
  const match = /^([A-Za-z0-9.:_-]{1,253}):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !(port >= 1 && port <= 65535)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--terminal-link', reason: 'must be host:port of the gateway terminal listener' });
  return { host: match[1], port };
}

/** True when the command names a database (flag, config file or environment): then reports are stored. */
function namesDatabase(opts: RunOptions): boolean {
  return opts.config !== undefined || opts.databaseUrl !== undefined || process.env.RESWIPE_CONFIG !== undefined || process.env.RESWIPE_DATABASE_URL !== undefined;
}

async function storeReports(opts: RunOptions, runs: readonly DrillRun[]): Promise<DrillReportRecord[]> {
  const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
  const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
  try {
    const records = runs.map((run) => drillReportOf(run));
    await store.write(async (tx) => {
      for (const record of records) await tx.insertDrillReport(record);
    });
    return records;
  } finally {
    await store.close();
  }
}

async function runCommand(name: string, opts: RunOptions): Promise<void> {
  const scenarios = scenariosNamed(name);
  const logger = createLogger({ level: 'warn', name: 'drill', destination: 2 });
  const runs: DrillRun[] = [];
  for (const scenario of scenarios) {
    if (opts.json !== true) process.stderr.write(`drill ${scenario.name}: ${scenario.title.en} / ${scenario.title.zh} ...\n`);
    const target =
      opts.target === undefined
        ? await startDrillSandbox(logger)
        : remoteDrillTarget({
            gatewayUrl: opts.target,
            apiKey: readFileSync(opts.apiKeyFile ?? missing('--api-key-file'), 'utf8').trim(),
            primary: bankOption('--primary', opts.primary),
            backup: bankOption('--backup', opts.backup),
            merchantId: opts.merchant,
            terminals: opts.terminals?.split(',').filter((id) => id !== ''),
            terminalLink: terminalLinkOption(opts.terminalLink),
          });
    try {
      runs.push(await runDrill(target, scenario, opts.short === true ? 'short' : 'full'));
    } finally {
      await target.close();
    }
  }
  const stored = opts.store !== false && namesDatabase(opts) ? await storeReports(opts, runs) : [];
  if (opts.json === true) {
    const objects = runs.map((run, index) => ({ id: stored[index]?.id ?? null, target: run.target, startedAt: new Date(run.startedAtMs).toISOString(), durationMs: run.durationMs, ...run.score }));
    process.stdout.write(`${JSON.stringify(objects.length === 1 ? objects[0] : objects)}\n`);
  } else {
    for (const run of runs) process.stdout.write(`${formatDrillScore(run.score)}\n\n`);
    process.stdout.write(stored.length > 0 ? `stored: ${stored.map((record) => record.id).join(', ')} (GET /v1/drills)\n` : 'not stored (no database named: pass --config or --database-url)\n');
  }
  if (runs.some((run) => !run.score.passed)) process.exitCode = 1;
}

function missing(field: string): never {
  throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: 'is required with --target' });
}

export function register(program: Command): void {
  const drill = program.command('drill').description('rehearse the emergency plan: scenarios scored for detection, failover, sales lost and money (docs/drills.md)');
  drill
    .command('list')
    .description('the scenarios and what each rehearses')
    .option('--json', 'one JSON array')
    .action((opts: { json?: boolean }) => {
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(drillScenarios.map((scenario) => ({ name: scenario.name, title: scenario.title, rehearses: scenario.rehearses, bar: scenario.bar })))}\n`);
        return;
      }
      for (const scenario of drillScenarios) process.stdout.write(`${scenario.name.padEnd(24)} ${scenario.title.en} / ${scenario.title.zh}\n${''.padEnd(24)} ${scenario.rehearses.en}\n`);
    });
  addConfigOptions(
    drill
      .command('run <scenario>')
      .description('run a scenario (or all) in its own sandbox, or against a staging gateway with --target')
      .option('--json', 'print the report as one JSON object')
      .option('--short', 'the short version CI runs (about 15 s)')
      .option('--no-store', 'do not store the report')
      .option('--database-url <url>', 'store the report in this database')
      .option('--target <url>', 'a staging gateway (its HTTP API) instead of the sandbox')
      .option('--api-key-file <file>', 'with --target: a file holding an admin API key of the target')
      .option('--primary <channel=url>', "with --target: the primary bank's channel name and its sandbox admin URL")
      .option('--backup <channel=url>', "with --target: the backup bank's channel name and its sandbox admin URL")
      .option('--merchant <id>', 'with --target: the merchant the sale lanes sell for')
      .option('--terminals <ids>', 'with --target: comma-separated terminal ids, one sale lane each')
      .option('--terminal-link <host:port>', "with --target: the gateway's terminal listener (iso87-ascii), for batch-unbalanced"),
  ).action(runCommand);
  addConfigOptions(
    drill
      .command('reports')
      .description('stored drill reports, newest first')
      .option('--json', 'one JSON array')
      .option('--limit <n>', 'how many (1-200)', '20')
      .option('--database-url <url>', 'read this database'),
  ).action(async (opts: RunOptions & { limit: string }) => {
    const limit = /^[0-9]{1,3}$/.test(opts.limit) ? Number(opts.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= 200)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: '--limit', reason: 'must be an integer from 1 to 200' });
    const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
    const store = await openStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const reports = await store.listDrillReports({ limit });
      if (opts.json === true) process.stdout.write(`${JSON.stringify(reports)}\n`);
      else for (const report of reports) process.stdout.write(`${report.id}  ${new Date(report.startedAtMs).toISOString()}  ${report.passed ? 'passed' : 'FAILED'}  ${report.scenario}  ${report.target}\n`);
    } finally {
      await store.close();
    }
  });
}
