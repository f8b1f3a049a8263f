// The shapes every part of reswipe uses for an ISO 8583 message, whatever the dialect on the wire.

/** n/an/ans/z -> string (unpadded for variable fields, full width for fixed ones); b -> bytes; composite -> object. */
export type IsoFieldValue = string | Uint8Array | IsoComposite;

/** A composite field: DE 55 TLV `{ '9F02': '000000012345' }` (hex values), CUPS DE 60 `{ '1': '22', '2': '000001', '3': '003' }`. */
export interface IsoComposite {
  readonly [subfield: string]: string;
}

export interface IsoMessage {
  mti: string;
  fields: Record<number, IsoFieldValue>;
  /** 5 bytes on dialects with a TPDU (cups-pos): ID 0x60, destination, originator. */
  tpdu?: Uint8Array;
  /** The dialect's message header as digits (cups-pos: 12 BCD digits). */
  header?: string;
}

/** A compiled dialect. Build one with getDialect or compileDialect; its insides are private to the codec. */
export interface Dialect {
  readonly name: string;
}

export type FramingKind = 'binary2' | 'ascii4';
