// Streams a channel's clearing file line by line, decoded (UTF-8 or GBK), hashing the bytes on the
// way: a million-line file is never held in memory, only the line being read. Bounds: the file's
// size and line count (RSW_RECON_FILE_TOO_LARGE), and each line's length (checked by the parser).
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import iconv from 'iconv-lite';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { ClearingLayout } from '../../core/reconciliation/clearing-layout.ts';

/** 4 GiB: far above a day of any channel (a million lines of 200 bytes is 200 MB). */
export const clearingFileBytesMax = 4 * 1024 * 1024 * 1024;

export interface ClearingFileSource {
  readonly fileName: string;
  /** The file's text lines after the layout's `skipLines`, numbered from 1 as in an editor. */
  lines(): AsyncGenerator<{ readonly lineNo: number; readonly text: string }>;
  /** The SHA-256 of the bytes read; complete once `lines()` has finished. */
  sha256(): string;
}

export function openClearingFile(path: string, layout: ClearingLayout, linesMax: number): ClearingFileSource {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'file', reason: `cannot read ${basename(path)}: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (size > clearingFileBytesMax) throw new ReswipeError('RSW_RECON_FILE_TOO_LARGE', { what: 'size', limit: `${clearingFileBytesMax} bytes` });
  const hash = createHash('sha256');
  let digest: string | null = null;
  return {
    fileName: basename(path),
    async *lines() {
      const bytes = createReadStream(path, { highWaterMark: 1 << 20 });
      bytes.on('data', (chunk) => hash.update(chunk));
      const text = layout.encoding === 'gbk' ? bytes.pipe(iconv.decodeStream('gbk')) : bytes.setEncoding('utf8');
      const reader = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
      let lineNo = 0;
      try {
        for await (const line of reader) {
          lineNo += 1;
          if (lineNo <= layout.skipLines) continue;
          if (lineNo > linesMax + layout.skipLines) throw new ReswipeError('RSW_RECON_FILE_TOO_LARGE', { what: 'line count', limit: `${linesMax} lines` });
          yield { lineNo, text: lineNo === 1 && line.startsWith('\uFEFF') ? line.slice(1) : line };
        }
      } finally {
        reader.close();
        bytes.destroy();
      }
      digest = hash.digest('hex');
    },
    sha256() {
      if (digest === null) throw new Error('broken invariant: sha256() before the file was read to the end');
      return digest;
    },
  };
}
