// How the composition root builds a QR provider channel from its config: one factory per protocol
// (docs/qr-payments.md#channels). Tests, the demo and the simulation pass their own through
// composeGateway's `qrChannel` override (a scripted fake, or a channel on a sandbox).
import { createAlipayChannel, readAlipayKeyFiles } from '../../adapters/qr-channels/alipay-channel.ts';
import { createWechatPayV2Channel } from '../../adapters/qr-channels/wechatpay-v2-channel.ts';
import type { QrChannelConfig } from '../../core/config/config-schema.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { QrChannelPort, QrHttpTransport, QrProtocol } from '../../core/ports/qr-channel.ts';

/** What a factory gets besides the channel's config; `transport` and `nowMs` are for tests and the simulation (HTTP and the wall clock by default). */
export interface QrChannelContext {
  logger: LoggerLike;
  transport?: QrHttpTransport;
  nowMs?: () => number;
}

export type QrChannelFactory = (config: QrChannelConfig, context: QrChannelContext) => QrChannelPort;

export const defaultQrChannelFactories: Readonly<Record<QrProtocol, QrChannelFactory>> = Object.freeze({
  'wechatpay-v2': (config: QrChannelConfig, context: QrChannelContext) =>
    createWechatPayV2Channel(
      {
        name: config.name,
        baseUrl: config.baseUrl,
        appId: config.appId,
        // validateConfig guarantees mchId and key for protocol wechatpay-v2.
        mchId: config.mchId!,
        key: config.key!,
        timeoutMs: config.timeoutMs,
        ...(config.signType === undefined ? {} : { signType: config.signType }),
        ...(config.certFile === undefined ? {} : { certFile: config.certFile }),
        ...(config.certPassword === undefined ? {} : { certPassword: config.certPassword }),
      },
      { ...(context.transport === undefined ? {} : { transport: context.transport }), ...(context.nowMs === undefined ? {} : { nowMs: context.nowMs }) },
    ),
  alipay: (config: QrChannelConfig, context: QrChannelContext) =>
    createAlipayChannel({
      name: config.name,
      baseUrl: config.baseUrl,
      appId: config.appId,
      // validateConfig guarantees both key files for protocol alipay.
      ...readAlipayKeyFiles({ privateKeyFile: config.privateKeyFile!, alipayPublicKeyFile: config.alipayPublicKeyFile! }),
      logger: context.logger,
      ...(context.transport === undefined ? {} : { transport: context.transport }),
      ...(context.nowMs === undefined ? {} : { nowMs: context.nowMs }),
    }),
});

/** The factory of a channel's protocol. */
export function buildQrChannel(config: QrChannelConfig, context: QrChannelContext): QrChannelPort {
  return defaultQrChannelFactories[config.protocol](config, context);
}
