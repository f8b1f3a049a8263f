import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the engine area. Codes are stable: add new ones, never rename or reuse. */
export const engineErrors = defineErrors([
  {
    code: 'RSW_REVERSAL_CURRENCY_UNKNOWN',
    messageTemplate: 'cannot build the reversal: currency {currency} has no ISO 4217 numeric code known to reswipe',
    httpStatus: 500,
    description: 'A queued reversal names a currency DE 49 cannot carry; the reversal keeps failing until dead-lettered, so fix the payment currency or add the code.',
  },
  {
    code: 'RSW_REVERSAL_ACQUIRER_ID_INVALID',
    messageTemplate: 'cannot build the reversal: the acquirer id for DE 32/90 must be 1 to 11 digits',
    httpStatus: 500,
    description: 'The configured acquirer id of a channel is not 1-11 digits, so DE 90 of a reversal cannot be built; fix the channel configuration.',
  },
  {
    code: 'RSW_CHANNEL_OPTIONS_INVALID',
    messageTemplate: 'upstream channel option {field}: {reason}',
    httpStatus: 500,
    description: 'An upstream channel was configured with an impossible pool size, limit, backoff or port; fix the named option.',
  },
  {
    code: 'RSW_ENGINE_TERMINAL_BUSY',
    messageTemplate: 'terminal {terminalId} already has {queued} requests waiting; this one was refused',
    httpStatus: 429,
    isoResponseCode: '96',
    description: 'A terminal sent more requests than one in flight plus engine.queuePerTerminalMax waiting; nothing was sent upstream, so it is safe to retry once the earlier sale is answered.',
  },
  {
    code: 'RSW_ENGINE_OVERLOADED',
    messageTemplate: 'the gateway is handling {inFlight} payments, its limit; this one was refused before anything was sent',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'The total number of payments in flight reached its bound; nothing was sent upstream, so retry shortly or add gateway capacity.',
  },
  {
    code: 'RSW_ENGINE_SHUTTING_DOWN',
    messageTemplate: 'the gateway is shutting down and takes no new payments',
    httpStatus: 503,
    isoResponseCode: '96',
    description: 'The gateway received SIGTERM/SIGINT and is finishing in-flight work; nothing was sent upstream, so retry on another node or after restart.',
  },
  {
    code: 'RSW_ENGINE_AMOUNT_INVALID',
    messageTemplate: 'amountMinor must be a whole number of minor units from 1 to 999999999999, got {amount}',
    httpStatus: 400,
    isoResponseCode: '13',
    description: 'The sale amount is not an integer in the range DE 4 can carry; send the amount in minor units (fen).',
  },
  {
    code: 'RSW_TERMINAL_PROTOCOL',
    messageTemplate: 'terminal connection on listener {listener} sent an unusable frame: {reason}',
    httpStatus: 400,
    description: 'A terminal sent a frame that is too large or cannot be decoded; the frame gets no answer and the connection is closed (see the log, which never holds raw bytes).',
  },
  {
    code: 'RSW_TERMINAL_LISTEN_FAILED',
    messageTemplate: 'terminal listener {listener} cannot listen on {host}:{port}: {reason}',
    httpStatus: 500,
    description: 'The terminal listener could not bind its address (port in use, no permission); change listeners[].port or free the port.',
  },
  {
    code: 'RSW_SIM_FAULTS_INVALID',
    messageTemplate: 'issuer simulator fault settings rejected: {reason}',
    httpStatus: 400,
    description: 'A fault rate given to `reswipe issuer-sim` (flag or PUT /faults) is not a probability from 0 to 1, the rates add up to more than 1, or lateReplyMs is out of range; fix the value named in the message.',
  },
  {
    code: 'RSW_SIM_LEDGER_FILE_UNREADABLE',
    messageTemplate: 'issuer simulator ledger file {path} cannot be used: {reason}',
    httpStatus: 500,
    description: 'The --ledger-file of `reswipe issuer-sim` cannot be opened, or a line in it is not a ledger event; move the file aside or point --ledger-file elsewhere.',
  },
  {
    code: 'RSW_SIM_LISTEN_FAILED',
    messageTemplate: 'issuer simulator cannot listen on {host}:{port}: {reason}',
    httpStatus: 500,
    description: 'The issuer simulator could not bind its ISO 8583 or admin port (port in use, no permission); pick another --port / --admin-port or free the port.',
  },
] as const);
