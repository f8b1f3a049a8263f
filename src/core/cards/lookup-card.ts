import type { BinTable, CardInfo } from './card-info.ts';
/** Brand, type and issuer of a PAN. */
export function lookupCard(pan: string, binTable: BinTable): CardInfo { throw new Error('lookupCard: not implemented yet ' + pan.length + binTable.edition); }
