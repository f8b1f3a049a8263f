import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the security area (TLS material, the HTTP exposure rule, the HSM port). Codes are stable: add new ones, never rename or reuse. */
export const securityErrors = defineErrors([
  {
    code: 'RSW_CONFIG_HTTP_TLS_REQUIRED',
    messageTemplate: 'configuration key {field} is required: http.host {host} is reachable from other machines; set http.tls.certFile and http.tls.keyFile, or http.allowPlaintext: true when a TLS terminator in front of reswipe takes the connections',
    httpStatus: 500,
    description: 'The HTTP API would listen on a non-loopback address without TLS, so card numbers and API keys would cross the network in clear; configure http.tls (docs/security.md) or say http.allowPlaintext: true on purpose.',
  },
  {
    code: 'RSW_TLS_FILE_UNREADABLE',
    messageTemplate: 'configuration key {field}: cannot read {file}: {reason}',
    httpStatus: 500,
    description: 'A TLS certificate, key or CA file named in the configuration does not exist or cannot be read by the reswipe user; fix the path or its permissions.',
  },
  {
    code: 'RSW_TLS_MATERIAL_INVALID',
    messageTemplate: 'configuration key {field}: the TLS certificate, key or CA cannot be used: {reason}',
    httpStatus: 500,
    description: 'A TLS file is not PEM, the private key does not belong to the certificate, or the key is encrypted; the message names the setting (never the key). See docs/security.md for making certificates.',
  },
  {
    code: 'RSW_HSM_KEY_UNKNOWN',
    messageTemplate: 'the HSM has no key {keyRef}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'PIN translation named a key reference the HSM does not hold (a terminal without a PIN key, or a channel zone PIN key missing from the configuration); the sale is refused before anything is sent.',
  },
  {
    code: 'RSW_HSM_PIN_BLOCK_INVALID',
    messageTemplate: 'the PIN block in DE 52 cannot be translated: {reason}',
    httpStatus: 500,
    isoResponseCode: '96',
    description: 'The decrypted PIN block is not a valid ISO 9564 format 0 block for the card (wrong PIN key, or a corrupt block); the sale is refused before anything is sent. The PIN block itself is never logged.',
  },
  {
    code: 'RSW_HSM_UNAVAILABLE',
    messageTemplate: 'the HSM did not answer: {reason}',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'The HSM adapter could not carry out a translation (a hardware HSM unreachable or busy); the sale is refused before anything is sent, so no money moved.',
  },
] as const);
