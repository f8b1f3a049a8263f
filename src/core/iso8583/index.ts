// The ISO 8583 toolkit: dialect-driven codec, TCP framing, masked description and message helpers.
// Everything here is pure; reading a dialect file from disk lives in src/adapters/iso8583/.
export type { IsoFieldValue, IsoComposite, IsoMessage, Dialect, FramingKind } from './iso-message.ts';
export { compileDialect, getDialect, builtInDialectNames } from './get-dialect.ts';
export { packMessage, unpackMessage, unpackMessageLocating, type MessageLayout } from './codec.ts';
export { encodeFrame, FrameDecoder } from './framing.ts';
export { describeMessage, messageFromJson, stringifyDescription } from './describe-message.ts';
export { getText, isResponseMti, responseMtiFor, upstreamMatchKey, responseTpduFor } from './message-helpers.ts';
