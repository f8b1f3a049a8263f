// The watched drop folder (docs/reconciliation.md, "Drop folder"): channels' clearing files land in
// one folder as `<channel>_<YYYYMMDD>.<ext>`; each poll imports the complete ones, oldest name first,
// and moves each file to `done/` or `failed/` (with a `.error.txt` beside it) so it is imported once.
// A file is complete when its size has not changed between two polls (a bank's SFTP upload may take
// a while). Polling rather than fs.watch: it works the same on every file system, NFS included.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<channel>_<YYYYMMDD>.<ext>`: the channel name and business date, taken from the name. */
const dropFileName = /^([A-Za-z0-9][A-Za-z0-9.-]{0,63})_(\d{4})(\d{2})(\d{2})\.[A-Za-z0-9]{1,8}$/;

export interface DroppedFile {
  readonly path: string;
  readonly name: string;
  readonly channel: string;
  readonly businessDate: string;
}

/** Parses a drop-folder file name; null when it does not follow `<channel>_<YYYYMMDD>.<ext>`. */
export function parseDropFileName(name: string): { channel: string; businessDate: string } | null {
  const match = dropFileName.exec(name);
  if (match === null) return null;
  return { channel: match[1] as string, businessDate: `${match[2]}-${match[3]}-${match[4]}` };
}

/** Files per poll: a backlog is taken a bounded bite at a time. */
export const dropFilesPerPollMax = 20;

export class DropFolder {
  readonly dir: string;
  readonly #sizes = new Map<string, number>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'done'), { recursive: true });
    mkdirSync(join(dir, 'failed'), { recursive: true });
  }

  /** Files whose name fits and whose size was the same at the previous poll, oldest name first. */
  readyFiles(): DroppedFile[] {
    const ready: DroppedFile[] = [];
    const seen = new Set<string>();
    for (const name of readdirSync(this.dir).sort()) {
      const parsed = parseDropFileName(name);
      if (parsed === null) continue;
      const path = join(this.dir, name);
      let size: number;
      try {
        const stat = statSync(path);
        if (!stat.isFile()) continue;
        size = stat.size;
      } catch {
        continue;
      }
      seen.add(name);
      const before = this.#sizes.get(name);
      this.#sizes.set(name, size);
      if (before === size && ready.length < dropFilesPerPollMax) ready.push({ path, name, ...parsed });
    }
    for (const name of this.#sizes.keys()) if (!seen.has(name)) this.#sizes.delete(name);
    return ready;
  }

  markDone(file: DroppedFile): void {
    renameSync(file.path, join(this.dir, 'done', file.name));
    this.#sizes.delete(file.name);
  }

  markFailed(file: DroppedFile, reason: string): void {
    renameSync(file.path, join(this.dir, 'failed', file.name));
    writeFileSync(join(this.dir, 'failed', `${file.name}.error.txt`), `${reason}\n`);
    this.#sizes.delete(file.name);
  }
}
