// Every `reswipe` subcommand, loaded lazily so `reswipe explain` does not pay for the HTTP server.
// To add a command: write src/cli/commands/<name>.ts exporting `register(program)`, then add one line here.
import type { Command } from 'commander';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<{ register(program: Command): void }>;
}

export const commandRegistry: readonly CommandEntry[] = [
  { name: 'serve', summary: 'run the gateway: terminal ISO 8583 listeners, HTTP API, reversal queue', load: () => import('./commands/serve.ts') },
  { name: 'fee', summary: 'fee quote for an amount, method and plan; `fee compare` prices a period under another plan', load: () => import('./commands/fee.ts') },
  { name: 'settle', summary: 'settlement: `settle run --date D` builds the daily batches, `settle export` writes the statement CSV', load: () => import('./commands/settle.ts') },
  { name: 'recon', summary: 'reconciliation with the channels (对账): `recon import --channel C --date D FILE`, list, show, investigate, note, resolve', load: () => import('./commands/recon.ts') },
  { name: 'payouts', summary: 'payouts: `payouts create --date D`, `export --out file` (bank transfer file), `import-answer <file>` (paid or failed), `list`; `account set`', load: () => import('./commands/payouts.ts') },
  { name: 'standing', summary: "a merchant's standing for a month: decline ratio, fallback ratio, scheme retry limits against thresholds: `standing --merchant M [--month YYYY-MM]`", load: () => import('./commands/standing.ts') },
  { name: 'keys', summary: 'API keys of the HTTP API: `keys create --admin | --merchant <id>` prints a key once; list; revoke', load: () => import('./commands/keys.ts') },
  { name: 'users', summary: 'console users: `users create --user <name> --role <role> [--merchant <id>]` prints a password once; list; disable; enable; reset-password', load: () => import('./commands/users.ts') },
  { name: 'terminal-keys', summary: 'terminal master keys: `import <terminal>` as components, `generate` (printed once), `rotate`, `list` check values', load: () => import('./commands/terminal-keys.ts') },
  { name: 'zone-pin-key', summary: 'zone PIN keys of the software HSM: `seal <keyRef>` combines components and prints the sealed key for channels[].zonePinKey', load: () => import('./commands/zone-pin-key.ts') },
  { name: 'zone-mac-key', summary: 'host-link MAC keys: `seal <keyRef>` combines components and prints the sealed key for channels[].mac', load: () => import('./commands/zone-mac-key.ts') },
  { name: 'manual-handling', summary: 'payments flagged for manual handling (a reversal dead-lettered: money may have moved), newest first; --json', load: () => import('./commands/manual-handling.ts') },
  { name: 'analytics', summary: 'failure analytics: `analytics rebuild` fills the hourly rollup again from the whole payment journal', load: () => import('./commands/analytics.ts') },
  { name: 'migrate', summary: 'apply pending database migrations and print what was applied', load: () => import('./commands/migrate.ts') },
  { name: 'config', summary: 'show the effective configuration, secrets masked', load: () => import('./commands/config.ts') },
  { name: 'explain', summary: 'why a response code happens and what to do; --symptom for non-code problems, --json for machines', load: () => import('./commands/explain.ts') },
  { name: 'iso', summary: 'ISO 8583 tools: decode hex to masked JSON, encode JSON to hex (any dialect)', load: () => import('./commands/iso.ts') },
  { name: 'issuer-sim', summary: 'run the sandbox issuer (host-link ISO 8583, magic test cards, faults); --list prints the table', load: () => import('./commands/issuer-sim.ts') },
  { name: 'qr-sim', summary: 'run the QR sandbox (WeChat Pay API v2 over HTTP, magic auth codes, faults, admin under /sandbox/); --list prints the codes', load: () => import('./commands/qr-sim.ts') },
  { name: 'demo', summary: 'one command to see it work: sandbox banks, gateway on a fresh SQLite file, a shop day with every failure cause, then where to look', load: () => import('./commands/demo.ts') },
  { name: 'terminal', summary: 'POS terminal emulator over ISO 8583: interactive, or one scripted sale with --card and --amount', load: () => import('./commands/terminal.ts') },
  { name: 'route', summary: 'which upstream channel a sale would take and why: `route --pan-bin 622202 --amount 100.00 --merchant M`', load: () => import('./commands/route.ts') },
  { name: 'nodes', summary: 'the gateway nodes sharing the database: heartbeat, alive, leader, leases held: `nodes [--json]`', load: () => import('./commands/nodes.ts') },
  { name: 'drill', summary: 'rehearse the emergency plan: `drill list`, `drill run <scenario|all> [--json]` in a sandbox or against staging with --target', load: () => import('./commands/drill.ts') },
  { name: 'plan', summary: "a merchant's emergency plan from the configuration: banks and backups, what switches automatically, what the cashier says, whom to call", load: () => import('./commands/plan.ts') },
  { name: 'load', summary: 'load generator: ISO 8583 or HTTP sales at a rate or concurrency, then throughput, latency percentiles and outcomes', load: () => import('./commands/load.ts') },
];
