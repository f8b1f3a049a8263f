// How the composition root builds a QR provider channel from its config: one factory per protocol
// (docs/qr-payments.md#channels). Tests, the demo and the simulation pass their own through
// composeGateway's `qrChannel` override (a scripted fake, or a channel on a sandbox).
import { createAlipayChannel, readAlipayKeyFiles } from '../../adapters/qr-channels/alipay-channel.ts';
import { createWechatPayV2Channel } from '../../adapters/qr-channels/wechatpay-v2-channel.ts';
import type { QrChannelConfig } from '../../core/config/config-schema.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { QrChannelPort, QrProtocol } from '../../core/ports/qr-channel.ts';

export type QrChannelFactory = (config: QrChannelConfig, context: { logger: LoggerLike }) => QrChannelPort;

export const defaultQrChannelFactories: Readonly<Record<QrProtocol, QrChannelFactory>> = Object.freeze({
  'wechatpay-v2': (config: QrChannelConfig) =>
    createWechatPayV2Channel({
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
    }),
  alipay: (config: QrChannelConfig, context: { logger: LoggerLike }) =>
    createAlipayChannel({
      name: config.name,
      baseUrl: config.baseUrl,
      appId: config.appId,
      // validateConfig guarantees both key files for protocol alipay.
      ...readAlipayKeyFiles({ privateKeyFile: config.privateKeyFile!, alipayPublicKeyFile: config.alipayPublicKeyFile! }),
      logger: context.logger,
    }),
});

/** The factory of a channel's protocol. */
export function buildQrChannel(config: QrChannelConfig, context: { logger: LoggerLike }): QrChannelPort {
  return defaultQrChannelFactories[config.protocol](config, context);
}
