import { defineErrors } from './error-definition.ts';

/** Errors of terminal keys and MACs (docs/terminal-keys.md). Codes are stable: add new ones, never rename or reuse. */
export const terminalKeyErrors = defineErrors([
  {
    code: 'RSW_TERMINAL_KEYS_NO_MASTER_KEY',
    messageTemplate: 'no local master key for terminal keys: set security.terminalMasterKeyFile or RESWIPE_TERMINAL_MASTER_KEY',
    httpStatus: 500,
    description: 'Terminal keys are sealed under a local master key and none is configured (outside development mode there is no default); create a 32-byte key file with mode 0600 and name it in security.terminalMasterKeyFile.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_MASTER_KEY_FILE',
    messageTemplate: 'the local master key file {path}: {reason}',
    httpStatus: 500,
    description: 'The file named by security.terminalMasterKeyFile cannot be read, is readable by others than its owner (it must be mode 0600), or does not hold 64 hex digits; fix the file.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_UNSEALABLE',
    messageTemplate: 'a stored {role} key of terminal {terminalId} cannot be opened with the configured local master key',
    httpStatus: 500,
    isoResponseCode: 'A0',
    description: 'A sealed key in the store was sealed under another local master key, or was altered; configure the master key the keys were sealed with, or import the terminal keys again.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_NOT_FOUND',
    messageTemplate: 'terminal {terminalId} has no master key; import or generate one first',
    httpStatus: 404,
    description: 'A key command named a terminal without a master key; run `reswipe terminal-keys import` or `generate` for it.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_EXIST',
    messageTemplate: 'terminal {terminalId} already has a master key (check value {checkValue}); use rotate to replace it',
    httpStatus: 409,
    description: 'import and generate create a first master key only, so an existing key is never replaced by accident; replace one with `reswipe terminal-keys rotate`.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_COMPONENT_INVALID',
    messageTemplate: 'key component {index}: {reason}',
    httpStatus: 400,
    description: 'A key component is not the right number of hex digits, or its check value differs from the one the custodian read out; re-enter the component.',
  },
  {
    code: 'RSW_TERMINAL_KEYS_UNKNOWN_TERMINAL',
    messageTemplate: 'terminal {terminalId} is not registered',
    httpStatus: 404,
    description: 'Keys are kept for registered terminals only; add the terminal to a merchant in the configuration (merchants[].terminals) and start serve once, then import its keys.',
  },
] as const);
