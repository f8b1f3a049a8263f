// `reswipe terminal`: the POS terminal emulator. With --card and --amount it performs one sale and
// prints the result and receipt (scriptable, --json for machines); without them it is interactive.
import type { Command } from 'commander';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { parseYuanToMinor } from '../../core/fees/parse-yuan.ts';
import { formatSaleReport } from '../../app/terminal-emulator/format-receipt.ts';
import { parseEntry, qrCodeChoice, resolveCard, runInteractiveTerminal, runOneSale } from '../../app/terminal-emulator/run-terminal-emulator.ts';
import type { TerminalSessionOptions } from '../../app/terminal-emulator/terminal-session.ts';
import { readClientTlsOptions } from '../../adapters/tls/read-tls-material.ts';
import { framingOption, integerOption } from '../option-parsers.ts';
import { readTerminalMasterKeys } from '../../app/terminal-emulator/terminal-master-keys-file.ts';

interface TerminalOptions {
  host: string;
  port: string;
  dialect: string;
  framing: string;
  terminalId: string;
  merchantId: string;
  card?: string;
  authCode?: string;
  amount?: string;
  entry: string;
  expiry?: string;
  cvv?: string;
  timeoutMs: string;
  terminalKeysFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('terminal')
    .description('POS terminal emulator over ISO 8583/TCP: interactive, or one scripted sale with --card and --amount')
    .option('--host <host>', 'reswipe terminal listener host', '127.0.0.1')
    .option('--port <port>', 'reswipe terminal listener port', '8583')
    .option('--dialect <dialect>', 'cups-pos, iso87-ascii or a dialect JSON file (the listener\'s)', 'cups-pos')
    .option('--framing <framing>', 'binary2 or ascii4 (the listener\'s)', 'binary2')
    .option('--terminal-id <id>', 'DE 41, 8 characters', 'T0000001')
    .option('--merchant-id <id>', 'DE 42, 15 characters', '898110053110001')
    .option('--card <card>', 'test card id (reswipe issuer-sim --list) or PAN; with --amount runs one sale')
    .option('--auth-code <code>', 'the customer\'s scanned payment code (WeChat Pay, Alipay, UnionPay QR) instead of --card; with --amount runs one QR sale (docs/terminal-link.md#qr-sales)')
    .option('--amount <yuan>', 'sale amount in yuan, e.g. 12.34')
    .option('--entry <entry>', 'chip, swipe, tap or manual', 'chip')
    .option('--expiry <YYMM>', 'override the card\'s expiry (to show wrong card data)')
    .option('--cvv <cvv>', 'override the card\'s CVV (iso87-ascii only)')
    .option('--timeout-ms <ms>', 'how long the terminal waits for an answer before its own reversal', '65000')
    .option('--terminal-keys-file <path>', 'JSON file (mode 0600) with this terminal\'s master key: sign on for working keys and MAC every sale (reswipe demo writes one)')
    .option('--tls-ca <file>', 'connect over TLS, trusting the listener certificate\'s PEM CA (docs/security.md)')
    .option('--tls-cert <file>', 'with --tls-ca: this terminal\'s PEM certificate, for a listener with mutual TLS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--json', 'print the result and receipt as JSON (scripted sale)')
    .action(async (opts: TerminalOptions) => {
      const framing = framingOption(opts.framing);
      if (opts.terminalId.length === 0 || opts.terminalId.length > 8) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-id', reason: 'must be 1 to 8 characters' });
      if (opts.merchantId.length === 0 || opts.merchantId.length > 15) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'merchant-id', reason: 'must be 1 to 15 characters' });
      if (opts.expiry !== undefined && !/^[0-9]{4}$/.test(opts.expiry)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'expiry', reason: 'must be YYMM' });
      if (opts.cvv !== undefined && !/^[0-9]{3,4}$/.test(opts.cvv)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'cvv', reason: 'must be 3 or 4 digits' });
      const masterKey = opts.terminalKeysFile === undefined ? undefined : readTerminalMasterKeys(opts.terminalKeysFile).get(opts.terminalId);
      if (opts.terminalKeysFile !== undefined && masterKey === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-keys-file', reason: `has no master key for terminal ${opts.terminalId}` });
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined) || (opts.tlsCert !== undefined && opts.tlsCa === undefined)) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'tls-cert', reason: '--tls-cert and --tls-key go together, with --tls-ca' });
      }
      const tls = opts.tlsCa === undefined ? undefined : readClientTlsOptions({ caFile: opts.tlsCa, certFile: opts.tlsCert, keyFile: opts.tlsKey }, 'terminal tls');
      const session: TerminalSessionOptions = {
        ...(masterKey === undefined ? {} : { masterKey }),
        ...(tls === undefined ? {} : { tls }),
        host: opts.host,
        port: integerOption('port', opts.port, 1, 65_535),
        dialect: opts.dialect,
        framing,
        terminalId: opts.terminalId,
        merchantId: opts.merchantId,
        answerTimeoutMs: integerOption('timeout-ms', opts.timeoutMs, 100, 600_000),
        stanFirst: (Date.now() % 900_000) + 1,
      };
      if (opts.card !== undefined && opts.authCode !== undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'auth-code', reason: 'give either --card or --auth-code, not both' });
      const scripted = opts.card !== undefined || opts.authCode !== undefined || opts.amount !== undefined;
      if (!scripted) {
        await runInteractiveTerminal(session, { input: process.stdin, output: process.stdout });
        return;
      }
      const cardText = opts.card ?? opts.authCode;
      if (cardText === undefined || opts.amount === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: cardText === undefined ? 'card' : 'amount', reason: 'a scripted sale needs --card (or --auth-code) and --amount' });
      const amountMinor = parseYuanToMinor(opts.amount, 'amount');
      if (amountMinor < 1) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'amount', reason: 'must be above zero' });
      const result = await runOneSale({
        session,
        card: opts.authCode === undefined ? resolveCard(cardText) : qrCodeChoice(opts.authCode),
        amountMinor,
        entry: opts.authCode === undefined ? parseEntry(opts.entry) : 'qr',
        ...(opts.expiry === undefined ? {} : { expiry: opts.expiry }),
        ...(opts.cvv === undefined ? {} : { cvv: opts.cvv }),
      });
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ signOn: result.signOnCode, ...(result.report ?? { result: 'not_signed_on' }) }, null, 2)}\n`);
      } else if (result.report === null) {
        process.stdout.write(`sign-on ${result.signOnCode ?? 'got no answer'}: the terminal is not signed on, no sale was sent\n`);
      } else {
        process.stdout.write(formatSaleReport(result.report));
      }
      if (result.report === null) process.exitCode = 1;
    });
}
