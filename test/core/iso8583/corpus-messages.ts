// Loads the realistic message corpus under test/fixtures/iso8583/corpus (shared by the corpus, fuzz and interop tests).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CorpusEntry {
  readonly file: string;
  readonly dialect: string;
  readonly description: string;
  readonly message: Record<string, unknown>;
  readonly hex: string;
}

export const corpusDir = fileURLToPath(new URL('../../fixtures/iso8583/corpus/', import.meta.url));

export function loadCorpus(): CorpusEntry[] {
  return readdirSync(corpusDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(corpusDir, file), 'utf8')) as Omit<CorpusEntry, 'file'>) }));
}
