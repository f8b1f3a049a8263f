// `reswipe migrate` brings the database schema up to date and says what it applied. The gateway
// migrates on start-up anyway; this command lets an operator do it (and see it) beforehand.
import type { Command } from 'commander';
import { addConfigOptions, configFromCommand } from '../../adapters/config/load-config.ts';
import { connectStore } from '../../adapters/store/open-store.ts';

/** The URL as it may be printed: a password in it is replaced by stars. */
export function printableDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:********@');
}

export function register(program: Command): void {
  addConfigOptions(
    program
      .command('migrate')
      .description('apply pending database migrations (RESWIPE_DATABASE_URL or --database-url; default sqlite:reswipe.db)')
      .option('--database-url <url>', 'sqlite:<path> or postgres://user@host:port/db')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts: { config?: string; databaseUrl?: string; json?: boolean }) => {
    const config = configFromCommand(opts, { 'database.url': opts.databaseUrl });
    const store = connectStore(config.database.url, { synchronous: config.database.synchronous });
    try {
      const report = await store.migrate();
      const url = printableDatabaseUrl(config.database.url);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ database: url, ...report })}\n`);
      } else {
        for (const version of report.applied) process.stdout.write(`applied ${version}\n`);
        process.stdout.write(
          report.applied.length === 0 ? `${url}: schema is up to date at ${report.current}\n` : `${url}: schema now at ${report.current}\n`,
        );
      }
    } finally {
      await store.close();
    }
  });
}
