// Reads the BIN table named by config `declines.binTableFile`. Parsing and validation are the pure
// core's (parseBinTable); this module only does the bounded read. No file configured: the shipped table.
import { readFileSync, statSync } from 'node:fs';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { defaultBinTable, parseBinTable, type IndexedBinTable } from '../../core/cards/bin-table.ts';

/** A BIN file above this size is refused before it is read (a full CUPS BIN file converted is a few MB). */
export const binTableFileBytesMax = 64 * 1024 * 1024;

/** The BIN table of `file`, or the shipped one when no file is configured. */
export function loadBinTable(file?: string | undefined): IndexedBinTable {
  if (file === undefined || file === '') return defaultBinTable;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > binTableFileBytesMax) throw new ReswipeError('RSW_DECLINE_BIN_TABLE_UNREADABLE', { file, field: 'declines.binTableFile', reason: `larger than ${binTableFileBytesMax} bytes` });
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ReswipeError) throw error;
    throw new ReswipeError('RSW_DECLINE_BIN_TABLE_UNREADABLE', { file, field: 'declines.binTableFile', reason: (error as NodeJS.ErrnoException).code ?? 'read failed' }, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ReswipeError('RSW_DECLINE_BIN_TABLE_UNREADABLE', { file, field: 'declines.binTableFile', reason: `not valid JSON (${(error as Error).message})` }, { cause: error });
  }
  return parseBinTable(document, file);
}
