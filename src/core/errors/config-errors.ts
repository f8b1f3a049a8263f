import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the config area. Codes are stable: add new ones, never rename or reuse. */
export const configErrors = defineErrors([
  {
    code: 'RSW_CONFIG_UNKNOWN_KEY',
    messageTemplate: 'unknown configuration key {field}{hint}',
    httpStatus: 500,
    description: 'The configuration names a key reswipe does not know (often a typo); remove or correct it, see docs/configuration.md.',
  },
  {
    code: 'RSW_CONFIG_INVALID_VALUE',
    messageTemplate: 'configuration key {field} {reason}',
    httpStatus: 500,
    description: 'A configuration value has the wrong type or is out of range; the message names the key and the values allowed.',
  },
  {
    code: 'RSW_CONFIG_RELATION',
    messageTemplate: 'configuration key {field} {reason}',
    httpStatus: 500,
    description: 'Configuration values are each valid but contradict one another (for example a channel timeout not shorter than the terminal timeout, or a port used twice).',
  },
  {
    code: 'RSW_CONFIG_FILE_UNREADABLE',
    messageTemplate: 'cannot read configuration file {file}: {reason}',
    httpStatus: 500,
    description: 'The file given with --config (or RESWIPE_CONFIG) does not exist, cannot be read, or has an extension other than .json, .yaml or .yml.',
  },
  {
    code: 'RSW_CONFIG_FILE_SYNTAX',
    messageTemplate: 'configuration file {file} line {line}: {reason}',
    httpStatus: 500,
    description: 'The configuration file is not valid JSON or YAML, or its top level is not a mapping; fix the line named.',
  },
  {
    code: 'RSW_CONFIG_UNKNOWN_ENV',
    messageTemplate: 'environment variable {variable} does not name a configuration key{hint}',
    httpStatus: 500,
    description: 'A RESWIPE_* environment variable maps to no configuration key (often a typo); unset it or correct it, see docs/configuration.md for the mapping.',
  },
  {
    code: 'RSW_CONFIG_PAN_KEY_REQUIRED',
    messageTemplate: 'configuration key {field} is not set: reswipe needs a card-fingerprint key of at least 32 random bytes (hex or base64, RESWIPE_PAN_KEY); only security.developmentMode (RESWIPE_DEVELOPMENT_MODE=1) allows the public development key',
    httpStatus: 500,
    description: 'serve and config check refuse to run without a real card-fingerprint key: with the public development key a stored masked PAN and its fingerprint give the card number back. Create one with `reswipe config new-pan-key` (docs/card-data.md).',
  },
  {
    code: 'RSW_ROUTING_INVALID',
    messageTemplate: 'routing rules: {field} {reason}',
    httpStatus: 500,
    description: 'The routing rules (routing.rulesFile) are not valid: the message names the path of the bad entry (for example rules[2].channels[0].weight) and what it must be; see docs/routing.md.',
  },
] as const);
