// Routing of a QR sale: the method names the provider, so the route is the enabled channels whose
// protocol serves the method, lowest priority number first (config order breaks ties). The first is
// used; a pay that was provably not sent may go to the next (docs/qr-payments.md#routing).
import type { QrMethod, QrProtocol } from '../ports/qr-channel.ts';

export const protocolOfQrMethod: Readonly<Record<Exclude<QrMethod, 'unionpay-qr'>, QrProtocol>> = Object.freeze({
  wechat: 'wechatpay-v2',
  alipay: 'alipay',
});

export function qrRouteOf<T extends { readonly name: string; readonly method: string; readonly priority: number; readonly disabled: boolean }>(channels: readonly T[], method: Exclude<QrMethod, 'unionpay-qr'>): T[] {
  return channels
    .map((channel, index) => ({ channel, index }))
    .filter(({ channel }) => !channel.disabled && channel.method === method)
    .sort((a, b) => a.channel.priority - b.channel.priority || a.index - b.index)
    .map(({ channel }) => channel);
}
