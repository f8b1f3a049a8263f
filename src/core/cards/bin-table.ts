// The BIN table: which issuer and card type a PAN prefix belongs to. Validated and frozen on load;
// a bad entry throws RSW_DECLINE_DATA_INVALID naming its path. The shipped table is bin-table.json;
// operators point `declines.binTableFile` at their own (read by src/adapters/declines/bin-table-file.ts).
import { cardBrands, cardTypes } from '../vocabulary.ts';
import { DataReader, deepFreeze } from '../declines/validate-data.ts';
import type { BinEntry, BinTable } from './card-info.ts';
import { brandFromPrefix } from './card-brands.ts';
import binTableJson from './bin-table.json' with { type: 'json' };

export const binPrefixPattern = /^[0-9]{4,9}$/;
export const binEntriesMax = 200_000;

/** A BinTable with an index by prefix for lookups. */
export interface IndexedBinTable extends BinTable {
  readonly byPrefix: ReadonlyMap<string, BinEntry>;
  /** Prefix lengths present, longest first. */
  readonly prefixLengths: readonly number[];
}

/** Validates a parsed BIN table document; `file` names it in errors. */
export function parseBinTable(document: unknown, file = 'bin-table.json'): IndexedBinTable {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const edition = read.string(root.edition, '$.edition');
  const byPrefix = new Map<string, BinEntry>();
  read.array(root.entries, '$.entries', binEntriesMax).forEach((raw, index) => {
    const path = `$.entries[${index}]`;
    const row = read.object(raw, path);
    const prefix = read.string(row.prefix, `${path}.prefix`, binPrefixPattern);
    if (byPrefix.has(prefix)) read.fail(`${path}.prefix`, `prefix ${prefix} appears twice`);
    const brand = read.member(cardBrands, row.brand, `${path}.brand`);
    if (brand === 'unknown') read.fail(`${path}.brand`, 'a BIN entry names a real brand');
    const prefixBrand = brandFromPrefix(prefix);
    if (prefixBrand !== 'unknown' && prefixBrand !== brand) read.fail(`${path}.brand`, `prefix ${prefix} belongs to ${prefixBrand}, not ${brand}`);
    const issuerZh = read.optionalString(row.issuerZh, `${path}.issuerZh`);
    const country = row.country === undefined ? undefined : read.string(row.country, `${path}.country`, /^[A-Z]{2}$/);
    const hotline = row.hotline === undefined ? undefined : read.string(row.hotline, `${path}.hotline`, /^\+?[0-9][0-9 -]{2,23}$/);
    byPrefix.set(prefix, {
      prefix,
      brand,
      type: read.member(cardTypes, row.type, `${path}.type`),
      issuer: read.string(row.issuer, `${path}.issuer`),
      ...(issuerZh === undefined ? {} : { issuerZh }),
      ...(country === undefined ? {} : { country }),
      ...(hotline === undefined ? {} : { hotline }),
    });
  });
  const entries = [...byPrefix.values()].sort((a, b) => b.prefix.length - a.prefix.length || a.prefix.localeCompare(b.prefix));
  const prefixLengths = [...new Set(entries.map((entry) => entry.prefix.length))].sort((a, b) => b - a);
  return deepFreeze({ edition, entries, byPrefix, prefixLengths });
}

/** Finds the longest BIN table prefix of a PAN. */
export function findBinEntry(pan: string, table: BinTable): BinEntry | undefined {
  const indexed = table as Partial<IndexedBinTable>;
  if (indexed.byPrefix !== undefined && indexed.prefixLengths !== undefined) {
    for (const length of indexed.prefixLengths) {
      if (pan.length < length) continue;
      const entry = indexed.byPrefix.get(pan.slice(0, length));
      if (entry !== undefined) return entry;
    }
    return undefined;
  }
  // A plain BinTable (entries longest first by contract): scan.
  let best: BinEntry | undefined;
  for (const entry of table.entries) {
    if (pan.startsWith(entry.prefix) && (best === undefined || entry.prefix.length > best.prefix.length)) best = entry;
  }
  return best;
}

/** The BIN table shipped with reswipe (realistic ranges for tests and the demo). */
export const defaultBinTable: IndexedBinTable = parseBinTable(binTableJson);
