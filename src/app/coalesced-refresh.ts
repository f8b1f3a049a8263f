// A refresh of live configuration held in memory (channel settings, fee plans: docs/cluster.md, "Live
// configuration"), run one at a time: a refresh asked for while one runs makes it run once more after,
// so every caller's promise settles only after a read that started after its call. A failed read is
// logged and the state in force stays; the next change notice or periodic refresh tries again.
import type { LoggerLike } from '../core/ports/channel.ts';

export function coalescedRefresh(read: () => Promise<void>, options: { logger: LoggerLike; failureMessage: string }): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await read();
        } catch (error) {
          options.logger.warn({ error: error instanceof Error ? error.message : 'unknown' }, options.failureMessage);
        }
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  };
}
