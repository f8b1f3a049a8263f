// `reswipe qr-sim`: the QR sandbox (src/sim/qr/), a sibling of `reswipe issuer-sim`. Plays WeChat Pay
// API v2 and Alipay (with fresh RSA keys written for the gateway unless given) over HTTP (or HTTPS with --tls-cert/--tls-key; with --tls-client-ca the secapi calls need a
// client certificate), answering from magic auth codes, with fault injection and admin routes under
// /sandbox/. Prints the base URL and the magic codes (docs/qr-sandbox.md); --list prints the codes only.
import type { Command } from 'commander';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { integerOption, rateOption } from '../option-parsers.ts';
import { readServerTlsOptions } from '../../adapters/tls/read-tls-material.ts';
import { mergeQrFaultSettings, noQrFaults, qrDelayMsMax } from '../../sim/qr/qr-fault-plan.ts';
import { formatQrMagicCodes, qrMagicCodesJson } from '../../sim/qr/format-qr-magic-codes.ts';
import { qrSandboxDefaults, startQrSandbox } from '../../sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../sim/qr/wechatpay-sandbox.ts';
import { alipaySandboxPath } from '../../sim/qr/alipay-sandbox.ts';
import { alipaySandboxDefaultAppId, setUpAlipaySandbox } from '../../sim/qr/alipay-sandbox-setup.ts';

interface QrSimOptions {
  host: string;
  port: string;
  seed?: string;
  wechatAppId: string;
  wechatMchId: string;
  wechatKey: string;
  alipayAppId: string;
  alipayPrivateKeyFile?: string;
  alipayMerchantPublicKeyFile?: string;
  alipayKeysDir?: string;
  faultDropRequest: string;
  faultDropAnswer: string;
  faultDelayAnswer: string;
  faultBadSignature: string;
  faultHttp500: string;
  delayMs: string;
  faultPaths?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  list?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('qr-sim')
    .description('run the QR sandbox: WeChat Pay API v2 and Alipay over HTTP(S) with magic auth codes, fault injection and admin routes under /sandbox/')
    .option('--host <host>', 'address to bind', qrSandboxDefaults.host)
    .option('--port <port>', 'HTTP port (0 = any free port)', String(qrSandboxDefaults.port))
    .option('--seed <n>', 'seed of the random faults (default: from the clock, printed at start)')
    .option('--wechat-app-id <id>', 'the appid the WeChat sandbox accepts', wechatSandboxDefaults.appId)
    .option('--wechat-mch-id <id>', 'the mch_id the WeChat sandbox accepts', wechatSandboxDefaults.mchId)
    .option('--wechat-key <key>', 'the WeChat API key (32 characters) both sides sign with (sandbox only: a real key never goes on a command line)', wechatSandboxDefaults.key)
    .option('--alipay-app-id <id>', 'the app_id the Alipay sandbox accepts', alipaySandboxDefaultAppId)
    .option('--alipay-private-key-file <file>', "the Alipay sandbox's own RSA private key (signs answers); default: fresh keys")
    .option('--alipay-merchant-public-key-file <file>', "the merchant app's RSA public key the Alipay sandbox verifies requests with")
    .option('--alipay-keys-dir <dir>', 'where fresh Alipay keys are written for the gateway (default: a new temp directory)')
    .option('--fault-drop-request <p>', 'probability the connection closes on receipt, nothing processed', '0')
    .option('--fault-drop-answer <p>', 'probability a request is processed (money may move) and the connection closes instead of the answer', '0')
    .option('--fault-delay-answer <p>', 'probability a request is processed and answered after --delay-ms', '0')
    .option('--fault-bad-signature <p>', 'probability a request is processed and answered with a signature that does not verify', '0')
    .option('--fault-http-500 <p>', 'probability the answer is HTTP 500, nothing processed', '0')
    .option('--delay-ms <ms>', 'delay of a delayed answer', String(noQrFaults.delayMs))
    .option('--fault-paths <paths>', 'comma-separated paths the faults hit (default: all), e.g. /secapi/pay/reverse')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'secapi calls (reverse, refund) need a client certificate signed by this PEM CA')
    .option('--list', 'print the magic auth codes, then exit')
    .option('--json', 'machine-readable output (the codes with --list, the start line otherwise)')
    .action(async (opts: QrSimOptions) => {
      if (!/^[\x21-\x7e]{32}$/.test(opts.wechatKey)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'wechat-key', reason: 'must be 32 printable ASCII characters' });
      const wechat = new WechatPaySandbox({ appId: opts.wechatAppId, mchId: opts.wechatMchId, key: opts.wechatKey });
      const alipay = setUpAlipaySandbox({
        appId: opts.alipayAppId,
        writeKeys: opts.list !== true,
        ...(opts.alipayPrivateKeyFile === undefined ? {} : { privateKeyFile: opts.alipayPrivateKeyFile }),
        ...(opts.alipayMerchantPublicKeyFile === undefined ? {} : { merchantPublicKeyFile: opts.alipayMerchantPublicKeyFile }),
        ...(opts.alipayKeysDir === undefined ? {} : { keysDir: opts.alipayKeysDir }),
      });
      const providers = [wechat, alipay.provider];
      if (opts.list === true) {
        process.stdout.write(opts.json === true ? `${JSON.stringify(qrMagicCodesJson(providers), null, 2)}\n` : formatQrMagicCodes(providers));
        return;
      }
      const faults = mergeQrFaultSettings(noQrFaults, {
        dropRequest: rateOption(opts.faultDropRequest),
        dropAnswer: rateOption(opts.faultDropAnswer),
        delayAnswer: rateOption(opts.faultDelayAnswer),
        badSignature: rateOption(opts.faultBadSignature),
        http500: rateOption(opts.faultHttp500),
        delayMs: integerOption('delay-ms', opts.delayMs, 0, qrDelayMsMax),
        ...(opts.faultPaths === undefined ? {} : { paths: opts.faultPaths.split(',').map((path) => path.trim()).filter((path) => path !== '') }),
      });
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined) || (opts.tlsClientCa !== undefined && opts.tlsCert === undefined)) {
        throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'tls-cert', reason: '--tls-cert and --tls-key go together, and --tls-client-ca needs them' });
      }
      const tls = opts.tlsCert === undefined || opts.tlsKey === undefined ? undefined : readServerTlsOptions({ certFile: opts.tlsCert, keyFile: opts.tlsKey, clientCaFile: opts.tlsClientCa }, 'qr-sim tls');
      const seed = opts.seed === undefined ? Date.now() % 0x1_0000_0000 : integerOption('seed', opts.seed, 0, 0xffff_ffff);
      const sandbox = await startQrSandbox({ host: opts.host, port: integerOption('port', opts.port, 0, 65_535), seed, providers, faults, ...(tls === undefined ? {} : { tls }) });
      const alipayChannel = { baseUrl: `${sandbox.url}${alipaySandboxPath}`, appId: alipay.appId, ...(alipay.channelKeyFiles ?? {}) };
      const started = { url: sandbox.url, host: sandbox.host, port: sandbox.port, seed: sandbox.seed, tls: sandbox.tls, providers: providers.map((provider) => provider.name), admin: `${sandbox.url}/sandbox/`, alipay: alipayChannel };
      process.stdout.write(
        opts.json === true
          ? `${JSON.stringify(started)}\n`
          : `qr-sim listening: ${sandbox.url} (seed ${sandbox.seed}); admin ${started.admin}{healthz,book,faults,reset,codes}\n` +
              `WeChat Pay v2: baseUrl ${sandbox.url}, appId ${opts.wechatAppId}, mchId ${opts.wechatMchId}\n` +
              `Alipay: baseUrl ${alipayChannel.baseUrl}, appId ${alipay.appId}` +
              (alipay.channelKeyFiles === null ? '' : `, privateKeyFile ${alipay.channelKeyFiles.privateKeyFile}, alipayPublicKeyFile ${alipay.channelKeyFiles.alipayPublicKeyFile}`) +
              `\n\n${formatQrMagicCodes(providers)}`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          sandbox.close().then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
}
