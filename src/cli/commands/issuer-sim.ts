// `reswipe issuer-sim`: the sandbox bank. Listens for host-link ISO 8583 (docs/contracts/host-link.md) and
// answers from the magic test cards and amounts (src/sim/issuer/test-cards.ts), with fault
// injection and an admin HTTP API. `--list` prints the magic-values table instead of starting.
import type { Command } from 'commander';
import { createLogger } from '../../adapters/log/logger.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { linkFaultMix, mergeFaultSettings, noFaults } from '../../sim/issuer/fault-plan.ts';
import { formatTestCardTableText, testCardTableJson } from '../../sim/issuer/format-test-card-table.ts';
import { issuerServerDefaults, startIssuerServer } from '../../sim/issuer/issuer-server.ts';
import { framingOption, rateOption } from '../option-parsers.ts';
import { readServerTlsOptions } from '../../adapters/tls/read-tls-material.ts';
import { keyAlgorithms, keyBytesOf, type KeyAlgorithm } from '../../core/crypto/block-cipher.ts';

/** The host-link MAC key from --mac-key / --mac-algorithm; a sandbox convenience: a real bank's key never goes on a command line. */
function macKeyOption(hex: string | undefined, algorithmText: string): { algorithm: KeyAlgorithm; key: Buffer } | undefined {
  if (!(keyAlgorithms as readonly string[]).includes(algorithmText)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'mac-algorithm', reason: `must be ${keyAlgorithms.join(' or ')}` });
  const algorithm = algorithmText as KeyAlgorithm;
  if (hex === undefined) return undefined;
  const digits = keyBytesOf(algorithm) * 2;
  if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'mac-key', reason: `must be ${digits} hex digits for ${algorithm}` });
  return { algorithm, key: Buffer.from(hex, 'hex') };
}

interface IssuerSimOptions {
  host: string;
  port: string;
  adminPort: string;
  framing: string;
  seed?: string;
  faultNoReply: string;
  faultReplyLost: string;
  faultLateReply: string;
  faultDrop: string;
  faultDropAfterProcessing: string;
  faultMalformedReply: string;
  faultDuplicateReply: string;
  faultBadAnswerMac: string;
  macKey?: string;
  macAlgorithm: string;
  faultMix: string;
  lateReplyMs: string;
  frameBytesMax: string;
  connectionsMax: string;
  recordsMax: string;
  ledgerFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  logLevel?: string;
  list?: boolean;
  json?: boolean;
}

function integerOption(field: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!(/^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}` });
  }
  return value;
}

export function register(program: Command): void {
  program
    .command('issuer-sim')
    .description('run the sandbox issuer: host-link ISO 8583, magic test cards and amounts, fault injection, admin API')
    .option('--host <host>', 'address to bind', issuerServerDefaults.host)
    .option('--port <port>', 'ISO 8583 port (0 = any free port)', String(issuerServerDefaults.port))
    .option('--admin-port <port>', 'admin HTTP port (0 = any free port)', String(issuerServerDefaults.adminPort))
    .option('--framing <framing>', 'binary2 (2-byte length) or ascii4 (4 ASCII digits)', issuerServerDefaults.framing)
    .option('--seed <n>', 'seed for random faults and authorization codes (default: from the clock, printed at start)')
    .option('--fault-no-reply <p>', 'probability a request is swallowed unprocessed', '0')
    .option('--fault-reply-lost <p>', 'probability a request is processed and its reply lost', '0')
    .option('--fault-late-reply <p>', 'probability a reply is sent after --late-reply-ms', '0')
    .option('--fault-drop <p>', 'probability the connection closes on receipt', '0')
    .option('--fault-drop-after-processing <p>', 'probability the connection closes after processing', '0')
    .option('--fault-malformed-reply <p>', 'probability the reply is bytes the codec rejects', '0')
    .option('--fault-duplicate-reply <p>', 'probability the reply is sent twice', '0')
    .option('--fault-bad-answer-mac <p>', 'probability a request is processed and its answer sent with a wrong MAC', '0')
    .option('--fault-mix <share>', 'share of requests meeting one of the link faults (no reply, reply lost, late, drop, drop after processing, duplicate), in equal parts; added to the rates above', '0')
    .option('--late-reply-ms <ms>', 'delay of a late reply', String(noFaults.lateReplyMs))
    .option('--frame-bytes-max <n>', 'largest accepted frame', String(issuerServerDefaults.frameBytesMax))
    .option('--connections-max <n>', 'most connections at once', String(issuerServerDefaults.connectionsMax))
    .option('--records-max <n>', 'answered requests remembered for duplicates and reversals', String(issuerServerDefaults.recordsMax))
    .option('--ledger-file <path>', 'append-only JSON-lines ledger, replayed at start (default: memory only)')
    .option('--tls-cert <file>', 'serve ISO 8583 over TLS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'demand a client certificate signed by this PEM CA (mutual TLS)')
    .option('--mac-key <hex>', 'host-link MAC key (32 hex digits): requests need a good MAC (else A0, nothing charged), answers carry one (sandbox only: a real key never goes on a command line)')
    .option('--mac-algorithm <name>', '3des (ANSI X9.19) or sm4 (SM4 CBC-MAC)', '3des')
    .option('--log-level <level>', 'log level (logs go to stderr); default RESWIPE_LOG_LEVEL or info')
    .option('--list', 'print the magic test cards and amounts, then exit')
    .option('--json', 'machine-readable output (the table with --list, the start line otherwise)')
    .action(async (opts: IssuerSimOptions) => {
      if (opts.list === true) {
        process.stdout.write(opts.json === true ? `${JSON.stringify(testCardTableJson(), null, 2)}\n` : formatTestCardTableText());
        return;
      }
      const framing = framingOption(opts.framing);
      const mix = linkFaultMix(rateOption(opts.faultMix));
      const faults = mergeFaultSettings(noFaults, {
        noReply: rateOption(opts.faultNoReply) + mix.noReply,
        replyLost: rateOption(opts.faultReplyLost) + mix.replyLost,
        lateReply: rateOption(opts.faultLateReply) + mix.lateReply,
        drop: rateOption(opts.faultDrop) + mix.drop,
        dropAfterProcessing: rateOption(opts.faultDropAfterProcessing) + mix.dropAfterProcessing,
        malformedReply: rateOption(opts.faultMalformedReply),
        duplicateReply: rateOption(opts.faultDuplicateReply) + mix.duplicateReply,
        badAnswerMac: rateOption(opts.faultBadAnswerMac),
        lateReplyMs: integerOption('late-reply-ms', opts.lateReplyMs, 0, 600_000),
      });
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined) || (opts.tlsClientCa !== undefined && opts.tlsCert === undefined)) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'tls-cert', reason: '--tls-cert and --tls-key go together, and --tls-client-ca needs them' });
      }
      const tls = opts.tlsCert === undefined || opts.tlsKey === undefined ? undefined : readServerTlsOptions({ certFile: opts.tlsCert, keyFile: opts.tlsKey, clientCaFile: opts.tlsClientCa }, 'issuer-sim tls');
      const mac = macKeyOption(opts.macKey, opts.macAlgorithm);
      const seed = opts.seed === undefined ? Date.now() % 0x1_0000_0000 : integerOption('seed', opts.seed, 0, 0xffff_ffff);
      const logger = createLogger({ level: opts.logLevel ?? process.env.RESWIPE_LOG_LEVEL ?? 'info', destination: 2, name: 'issuer-sim' });
      const server = await startIssuerServer({
        host: opts.host,
        port: integerOption('port', opts.port, 0, 65_535),
        adminPort: integerOption('admin-port', opts.adminPort, 0, 65_535),
        framing,
        frameBytesMax: integerOption('frame-bytes-max', opts.frameBytesMax, 64, 65_535),
        connectionsMax: integerOption('connections-max', opts.connectionsMax, 1, 65_535),
        lateRepliesMax: issuerServerDefaults.lateRepliesMax,
        recordsMax: integerOption('records-max', opts.recordsMax, 1, 10_000_000),
        seed,
        faults,
        ledgerFile: opts.ledgerFile,
        logger,
        tls,
        mac,
      });
      const started = { isoPort: server.isoPort, adminPort: server.adminPort, host: server.host, framing, seed: server.seed, tls: tls !== undefined, mac: mac?.algorithm ?? null };
      process.stdout.write(
        opts.json === true
          ? `${JSON.stringify(started)}\n`
          : `issuer-sim listening: ISO 8583${tls === undefined ? '' : ' over TLS'} ${server.host}:${server.isoPort} (${framing}), admin http://${server.host}:${server.adminPort} (seed ${server.seed})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          logger.info({ signal }, 'issuer-sim shutting down');
          server.close().then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
}
