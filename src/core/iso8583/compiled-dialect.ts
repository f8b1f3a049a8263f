// A dialect document compiled once into per-field closures and a reusable packing buffer.
import type { DialectDocument } from './dialect-document.ts';
import { validateDialectDocument } from './dialect-document.ts';
import { compileField, type FieldCodec } from './field-codec.ts';
import type { Dialect } from './iso-message.ts';

export class CompiledDialect implements Dialect {
  readonly name: string;
  readonly source: string;
  readonly document: DialectDocument;
  /** Indexed by data element number, 0..128; undefined where the dialect defines nothing. */
  readonly fields: readonly (FieldCodec | undefined)[];
  /** The defined fields in ascending order, and the numbers 1..128 the dialect does not define (pack checks both lists). */
  readonly definedFields: readonly FieldCodec[];
  readonly undefinedNumbers: Int32Array;
  readonly hasSecondaryBitmap: boolean;
  readonly isMtiBcd: boolean;
  readonly isBitmapHex: boolean;
  readonly tpduLength: number;
  readonly tpduDefault: Buffer | undefined;
  readonly headerLength: number;
  readonly isHeaderBcd: boolean;
  readonly headerDefault: string | undefined;
  readonly messageBytesMax: number;
  /** The room pack needs before it starts a message: the largest message plus one whole field, so a field never writes past the end before the limit check that follows it. */
  readonly packRoomBytes: number;

  constructor(document: DialectDocument, source: string) {
    this.name = document.name;
    this.source = source;
    this.document = document;
    const fields: (FieldCodec | undefined)[] = new Array<FieldCodec | undefined>(129).fill(undefined);
    let fieldWireBytesMax = 0;
    for (const [key, fieldDocument] of Object.entries(document.fields)) {
      const codec = compileField(Number(key), fieldDocument);
      fields[Number(key)] = codec;
      fieldWireBytesMax = Math.max(fieldWireBytesMax, codec.wireBytesMax);
    }
    this.fields = Object.freeze(fields);
    this.definedFields = Object.freeze(fields.filter((codec): codec is FieldCodec => codec !== undefined));
    const undefinedNumbers: number[] = [];
    for (let de = 1; de <= 128; de += 1) if (fields[de] === undefined) undefinedNumbers.push(de);
    this.undefinedNumbers = Int32Array.from(undefinedNumbers);
    this.hasSecondaryBitmap = document.bitmap.secondary;
    this.isMtiBcd = document.mti.encoding === 'bcd';
    this.isBitmapHex = document.bitmap.encoding === 'hex';
    this.tpduLength = document.tpdu?.length ?? 0;
    this.tpduDefault = document.tpdu?.default === undefined ? undefined : Buffer.from(document.tpdu.default, 'hex');
    this.headerLength = document.header?.length ?? 0;
    this.isHeaderBcd = document.header?.encoding === 'bcd';
    this.headerDefault = document.header?.default;
    this.messageBytesMax = document.messageBytesMax;
    this.packRoomBytes = document.messageBytesMax + fieldWireBytesMax + 256;
    Object.freeze(this);
  }
}

/** Validates a dialect document (parsed JSON) and compiles it; `source` names it in errors (a path or a built-in name). */
export function compileDialect(document: unknown, source: string): Dialect {
  return new CompiledDialect(validateDialectDocument(document, source), source);
}

/** The compiled form behind a Dialect handed out by this module. */
export function compiledOf(dialect: Dialect): CompiledDialect {
  if (!(dialect instanceof CompiledDialect)) throw new Error('assertion failed: a Dialect must come from getDialect or compileDialect');
  return dialect;
}
