// What reswipe knows about a card from its number alone: brand from the prefix, type and issuer from the BIN table.
import type { CardBrand, CardType } from '../vocabulary.ts';

export interface CardInfo {
  brand: CardBrand;
  type: CardType;
  issuer: string | null;
  /** Issuer name in Chinese, when the BIN table has one. */
  issuerZh?: string;
  /** True when the BIN table had a range for this PAN (type and issuer come from it). */
  binMatched: boolean;
  panLength: number;
}

/** One BIN range: every PAN whose first `prefix.length` digits equal `prefix`. */
export interface BinEntry {
  readonly prefix: string;
  readonly brand: CardBrand;
  readonly type: CardType;
  readonly issuer: string;
  /** Issuer name in Chinese, when the issuer is Chinese. */
  readonly issuerZh?: string;
  readonly country?: string;
  /** The issuer's customer service number (a cashier's customer whose card is blocked calls it); the emergency plan lists it. */
  readonly hotline?: string;
}

/** A validated, frozen BIN table; entries sorted by prefix length, longest first. */
export interface BinTable {
  readonly edition: string;
  readonly entries: readonly BinEntry[];
}
