// Compiles one field definition of a dialect document into a pair of closures that write a value
// into the packing buffer and read it back, so a message pays for no interpretation of the
// document at run time: no per-field lookups of type or encoding, no regexes, no temporary strings
// for ASCII and BCD fields. Every closure validates what it writes and what it reads.
// One axis per file: field-encodings.ts (ASCII, UTF-8, GBK, BCD, binary, hex), length-prefixes.ts
// (fixed, LL/LLL/LLLL in ASCII, BCD or binary) and field-kinds.ts (n, an, ans, z, b, TLV, positional);
// this file picks one of each for a field.
import type { FieldDocument } from './dialect-document.ts';
import type { Reader, Writer } from './field-cursor.ts';
import { asciiTextCodec, bcdTextCodec, binaryBytesCodec, charsetTextCodec, hexBytesCodec, type AsciiTextSpec, type RawTextCodec } from './field-encodings.ts';
import { badValue } from './field-cursor.ts';
import { compileSubfields, decodeTlv, encodeTlv, isPlainObject, joinPositional, splitPositional } from './field-kinds.ts';
import type { IsoFieldValue } from './iso-message.ts';
import { shapeOf } from './length-prefixes.ts';

/** What a field holds at the API: text, bytes, or a composite object. */
export type FieldValueKind = 'text' | 'bytes' | 'tlv' | 'positional';

export interface FieldCodec {
  readonly de: number;
  readonly name: string;
  readonly valueKind: FieldValueKind;
  /** The most bytes this field can take on the wire, prefix included. */
  readonly wireBytesMax: number;
  /** Set for a plain ASCII text field: the codec calls writeAsciiText/readAsciiText with it directly. */
  readonly asciiText: AsciiTextSpec | undefined;
  write(value: IsoFieldValue, writer: Writer): void;
  read(reader: Reader): IsoFieldValue;
}

/** Builds the closures for one data element of a validated dialect document. */
export function compileField(de: number, document: FieldDocument): FieldCodec {
  const path = String(de);
  const shape = shapeOf(document);
  const composite = document.composite;
  if (document.type === 'b') {
    const raw = document.encoding === 'hex' ? hexBytesCodec(shape, path) : binaryBytesCodec(shape, path);
    if (composite !== undefined && composite.kind === 'tlv') {
      const bytesMax = shape.size;
      return {
        de,
        name: document.name,
        valueKind: 'tlv',
        wireBytesMax: raw.wireBytesMax,
        asciiText: undefined,
        write(value, writer) {
          if (!isPlainObject(value)) badValue(path, 'a TLV field takes an object of hex values keyed by tag');
          raw.write(encodeTlv(value, path, bytesMax), writer);
        },
        read(reader) {
          return decodeTlv(raw.read(reader), path);
        },
      };
    }
    return { de, name: document.name, valueKind: 'bytes', wireBytesMax: raw.wireBytesMax, asciiText: undefined, write: raw.write, read: raw.read };
  }
  let raw: RawTextCodec;
  switch (document.encoding) {
    case 'ascii':
      raw = asciiTextCodec(document, shape, path);
      break;
    case 'utf8':
    case 'gbk':
      raw = charsetTextCodec(document, shape, document.encoding, path);
      break;
    case 'bcd-left':
    case 'bcd-right':
      raw = bcdTextCodec(document, shape, document.encoding === 'bcd-left', path);
      break;
    case 'binary':
    case 'hex':
      throw new Error(`assertion failed: a ${document.type} field cannot be ${document.encoding}`);
  }
  if (composite !== undefined && composite.kind === 'positional') {
    const subfields = compileSubfields(composite.subfields);
    const fixedLength = shape.fixed ? shape.size : undefined;
    return {
      de,
      name: document.name,
      valueKind: 'positional',
      wireBytesMax: raw.wireBytesMax,
      asciiText: undefined,
      write(value, writer) {
        if (!isPlainObject(value)) badValue(path, 'a positional field takes an object of sub-field texts');
        raw.write(joinPositional(value, subfields, path, fixedLength), writer);
      },
      read(reader) {
        return splitPositional(raw.read(reader), subfields, path);
      },
    };
  }
  // A plain field is its raw codec: no wrapper call on the hot path.
  return { de, name: document.name, valueKind: 'text', wireBytesMax: raw.wireBytesMax, asciiText: raw.asciiText, write: raw.write, read: raw.read };
}

