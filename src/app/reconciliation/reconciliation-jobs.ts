// What `serve` runs for reconciliation on timers: the drop folder (import each complete clearing
// file, move it to done/ or failed/) and the overdue sweep (one `recon.discrepancy_overdue` event per
// discrepancy open longer than reconciliation.openBoundMs). One pass at a time per job; stop() waits
// for a pass in progress.
import { DropFolder } from '../../adapters/reconciliation/drop-folder.ts';
import { openClearingFile } from '../../adapters/reconciliation/clearing-file-reader.ts';
import { loadChannelFormat } from '../../adapters/reconciliation/load-channel-format.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import { importClearingFile } from './import-clearing-file.ts';
import { raiseOverdueDiscrepancies } from './raise-overdue-discrepancies.ts';

export interface ReconciliationJobs {
  /** One drop-folder pass now (tests and the first tick); resolves with the files imported. */
  pollDropFolder(): Promise<number>;
  stop(): Promise<void>;
}

export function startReconciliationJobs(deps: { store: Store; clock: Clock; logger: LoggerLike; config: ReswipeConfig }): ReconciliationJobs {
  const { store, clock, logger, config } = deps;
  const settings = config.reconciliation;
  const folder = settings.dropFolder === undefined ? null : new DropFolder(settings.dropFolder);
  let running: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = running.then(job, job);
    running = next.catch(() => undefined);
    return next;
  };

  const pollDropFolder = (): Promise<number> =>
    serial(async () => {
      if (folder === null) return 0;
      let imported = 0;
      for (const file of folder.readyFiles()) {
        try {
          const format = loadChannelFormat(settings.formatsDir, file.channel);
          const summary = await importClearingFile(
            { store, clock, timeZone: config.fees.settlementTimeZone },
            { channel: file.channel, businessDate: file.businessDate, format, source: openClearingFile(file.path, format.layout, settings.linesMax), actor: 'drop-folder' },
          );
          folder.markDone(file);
          imported += 1;
          logger.info({ file: file.name, runId: summary.run.id, lines: summary.run.linesTotal, discrepancies: summary.run.discrepancies }, 'clearing file imported');
        } catch (error) {
          const reason = isReswipeError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
          folder.markFailed(file, reason);
          logger.warn({ file: file.name, reason }, 'clearing file refused');
        }
      }
      return imported;
    });

  const sweep = (): Promise<number> =>
    serial(async () => {
      const raised = await raiseOverdueDiscrepancies({ store, clock }, settings.openBoundMs);
      if (raised > 0) logger.warn({ raised, openBoundMs: settings.openBoundMs }, 'discrepancies open longer than the bound');
      return raised;
    });

  const onError = (what: string) => (error: unknown) => logger.error({ err: error instanceof Error ? error.message : String(error) }, what);
  const dropTimer = folder === null ? null : setInterval(() => void pollDropFolder().catch(onError('drop folder poll failed')), settings.dropPollIntervalMs);
  const sweepTimer = setInterval(() => void sweep().catch(onError('overdue discrepancy sweep failed')), settings.overdueCheckIntervalMs);
  dropTimer?.unref();
  sweepTimer.unref();
  return {
    pollDropFolder,
    async stop() {
      if (dropTimer !== null) clearInterval(dropTimer);
      clearInterval(sweepTimer);
      await running;
    },
  };
}
