// The JSON face of a message, for the CLI, logs and tests: binary fields as hex, composites as
// objects, and card data masked unless the caller asks to reveal it. The masking rules go by data
// element number, so they hold in every dialect:
//   DE 2: first 6 and last 4 digits; DE 35: the PAN part so masked, the rest hidden;
//   DE 36, 45 (tracks), 52 (PIN block), 64/128 (MAC), 96, binary DE 62 (CUPS working keys): `****`;
//   DE 55: the PAN, track, cryptogram and signed-data tags `****`; DE 48: `CVV2=`/`CVC2=` values hidden;
//   other free text: digit runs that look like a PAN (13-19 digits) masked, as a last line of defence
//   (identifier fields such as DE 32, 42 and 90 are left alone: a 15-digit merchant id is not a card).
import { maskPan, maskPansInText } from '../cards/pan.ts';
import { ReswipeError } from '../errors/reswipe-error.ts';
import { compiledOf } from './compiled-dialect.ts';
import { isHex } from './dialect-document.ts';
import type { Dialect, IsoComposite, IsoFieldValue, IsoMessage } from './iso-message.ts';

export const hidden = '****';
const hiddenFields: ReadonlySet<number> = new Set([36, 45, 52, 64, 96, 128]);
/** EMV tags that carry the PAN, track data, cryptograms or issuer-private data. */
export const sensitiveEmvTags: ReadonlySet<string> = new Set(['5A', '57', '56', '5F20', '9F1F', '9F20', '9F6B', '9F26', '9F27', '9F10', '9F4B', '9F46', '9F47', '9F48', '9F2D', '9F2E', '9F2F', '9F0B', '9F63', '9F7C']);
const secretTagsInDe48 = ['CVV2', 'CVC2', 'CVV', 'CID', 'QRC'];
/** Fields with a fixed meaning that never carries a card number, exempt from the free-text PAN scan. */
const identifierFields: ReadonlySet<number> = new Set([3, 4, 7, 11, 12, 13, 14, 15, 18, 22, 23, 25, 26, 32, 33, 37, 38, 39, 41, 42, 49, 53, 70, 90]);

function maskFreeText(de: number, text: string): string {
  return identifierFields.has(de) ? text : maskPansInText(text);
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

function maskTrack(track: string): string {
  let separator = track.indexOf('=');
  if (separator < 0) separator = track.indexOf('D');
  if (separator < 0) return hidden;
  return `${maskPan(track.slice(0, separator))}=${hidden}`;
}

function maskDe48(text: string): string {
  return text
    .split(';')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const tag = pair.slice(0, equals).trim().toUpperCase();
      return secretTagsInDe48.includes(tag) ? `${pair.slice(0, equals)}=${hidden}` : pair;
    })
    .join(';');
}

function describeValue(de: number, value: IsoFieldValue, reveal: boolean): string | Record<string, string> {
  if (typeof value === 'string') {
    if (reveal) return value;
    switch (de) {
      case 2:
        return maskPan(value);
      case 35:
        return maskTrack(value);
      case 48:
        return maskPansInText(maskDe48(value));
      default:
        return hiddenFields.has(de) ? hidden : maskFreeText(de, value);
    }
  }
  if (value instanceof Uint8Array) {
    if (!reveal && (hiddenFields.has(de) || de === 62 || de === 55 || de === 2 || de === 35)) return hidden;
    return hexOf(value);
  }
  const out: Record<string, string> = {};
  for (const key in value) {
    const sub = (value as IsoComposite)[key] as string;
    if (reveal) out[key] = sub;
    else if (de === 55 && sensitiveEmvTags.has(key.toUpperCase())) out[key] = hidden;
    else if (hiddenFields.has(de)) out[key] = hidden;
    else out[key] = de === 55 ? sub : maskFreeText(de, sub);
  }
  return out;
}

/** The message as a JSON-ready object `{ mti, tpdu?, header?, "2": ..., "3": ... }`, masked unless reveal. */
export function describeMessage(message: IsoMessage, options: { reveal?: boolean } = {}): Record<string, unknown> {
  const reveal = options.reveal === true;
  const out: Record<string, unknown> = { mti: message.mti };
  if (message.tpdu !== undefined) out.tpdu = hexOf(message.tpdu);
  if (message.header !== undefined) out.header = message.header;
  for (const key in message.fields) {
    const value = message.fields[key as unknown as number];
    if (value === undefined) continue;
    out[key] = describeValue(Number(key), value, reveal);
  }
  return out;
}

/** JSON text with mti, tpdu and header first (integer keys would otherwise lead), one line. */
export function stringifyDescription(description: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['mti', 'tpdu', 'header']) {
    if (description[key] !== undefined) parts.push(`${JSON.stringify(key)}:${JSON.stringify(description[key])}`);
  }
  for (const key of Object.keys(description)) {
    if (key === 'mti' || key === 'tpdu' || key === 'header') continue;
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(description[key])}`);
  }
  return `{${parts.join(',')}}`;
}

function badValue(field: string, reason: string): never {
  throw new ReswipeError('RSW_CODEC_BAD_VALUE', { field, reason });
}

function bytesFromHex(text: unknown, field: string): Buffer {
  if (typeof text !== 'string' || !isHex(text)) throw new ReswipeError('RSW_CODEC_BAD_HEX', { field });
  return Buffer.from(text, 'hex');
}

function compositeFrom(value: unknown, field: string): IsoComposite {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) badValue(field, 'a composite field takes an object');
  const out: Record<string, string> = {};
  for (const [key, sub] of Object.entries(value)) {
    if (typeof sub !== 'string') badValue(`${field}.${key}`, 'sub-field values are strings');
    out[key] = sub;
  }
  return out;
}

/** Builds a message from the JSON shape describeMessage({ reveal: true }) prints; the dialect says which fields are hex or composite. */
export function messageFromJson(dialect: Dialect, json: Record<string, unknown>): IsoMessage {
  const compiled = compiledOf(dialect);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) badValue('message', 'a message is a JSON object');
  if (typeof json.mti !== 'string') throw new ReswipeError('RSW_CODEC_MISSING_PART', { field: 'mti', reason: 'the JSON needs "mti" as a 4-digit string' });
  const message: IsoMessage = { mti: json.mti, fields: {} };
  for (const [key, value] of Object.entries(json)) {
    if (key === 'mti') continue;
    if (key === 'tpdu') {
      message.tpdu = bytesFromHex(value, 'tpdu');
      continue;
    }
    if (key === 'header') {
      if (typeof value !== 'string') badValue('header', 'the header is a string');
      message.header = value;
      continue;
    }
    const de = Number(key);
    const codec = Number.isInteger(de) && String(de) === key ? compiled.fields[de] : undefined;
    if (codec === undefined) throw new ReswipeError('RSW_CODEC_FIELD_NOT_IN_DIALECT', { field: key, dialect: compiled.name });
    switch (codec.valueKind) {
      case 'text':
        if (typeof value !== 'string') badValue(key, 'a text field is a JSON string');
        message.fields[de] = value;
        break;
      case 'bytes':
        message.fields[de] = bytesFromHex(value, key);
        break;
      case 'tlv':
      case 'positional':
        message.fields[de] = compositeFrom(value, key);
        break;
    }
  }
  return message;
}
