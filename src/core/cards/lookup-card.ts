// Brand, type and issuer of a PAN: the BIN table when it knows the prefix, else the brand ranges
// (type unknown), so a PAN outside the table is still routable.
import type { BinTable, CardInfo } from './card-info.ts';
import { findBinEntry } from './bin-table.ts';
import { brandFromPrefix } from './card-brands.ts';

/** Brand, type and issuer of a PAN (digits only; anything else yields brand 'unknown'). */
export function lookupCard(pan: string, binTable: BinTable): CardInfo {
  if (!/^[0-9]+$/.test(pan)) return { brand: 'unknown', type: 'unknown', issuer: null, binMatched: false, panLength: pan.length };
  const entry = findBinEntry(pan, binTable);
  if (entry === undefined) return { brand: brandFromPrefix(pan), type: 'unknown', issuer: null, binMatched: false, panLength: pan.length };
  return {
    brand: entry.brand,
    type: entry.type,
    issuer: entry.issuer,
    ...(entry.issuerZh === undefined ? {} : { issuerZh: entry.issuerZh }),
    binMatched: true,
    panLength: pan.length,
  };
}
