// Puts PIN translation between the engine and a channel: a request carrying DE 52 leaves with the PIN
// block under the channel's zone PIN key, translated by the HSM port, or does not leave at all (not
// sent, so the engine may try another channel and no money moved). The engine is unchanged and never
// sees a key; swapping the software HSM for a hardware one changes only what serve.ts passes here.
import type { ChannelPort, ChannelSendResult, LoggerLike } from '../../core/ports/channel.ts';
import type { HsmKeyRef, HsmPort } from '../../core/ports/hsm.ts';
import { pinTranslationNeedOf } from '../../core/payments/pin-translation-request.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';

export interface PinTranslatingChannelOptions {
  hsm: HsmPort;
  /** channels[].zonePinKey.keyRef of this channel; undefined refuses every request with a PIN block. */
  zonePinKeyRef: HsmKeyRef | undefined;
  logger: LoggerLike;
}

/** `channel` with DE 52 translated on the way out. Logs name the channel, the terminal and the error code, never the PIN block. */
export function pinTranslatingChannel(channel: ChannelPort, options: PinTranslatingChannelOptions): ChannelPort {
  return {
    name: channel.name,
    // Not `async`: a request without a PIN block (most of them) is the channel's own promise, not one
    // more suspended frame held for as long as the channel takes to answer.
    send(request, sendOptions) {
      let need: ReturnType<typeof pinTranslationNeedOf>;
      try {
        need = pinTranslationNeedOf(request, options.zonePinKeyRef);
      } catch (error) {
        return Promise.reject(error);
      }
      switch (need.kind) {
        case 'none':
          return channel.send(request, sendOptions);
        case 'refuse':
          options.logger.warn({ channel: channel.name, reason: need.reason }, 'request with a PIN block not sent: it cannot be translated');
          return Promise.resolve({ kind: 'not_sent', reason: 'encode_failed', detail: `PIN translation impossible: ${need.reason}` });
        case 'translate':
          return translateAndSend(channel, options, request, need.request, sendOptions);
      }
    },
  };
}

async function translateAndSend(
  channel: ChannelPort,
  options: PinTranslatingChannelOptions,
  request: Parameters<ChannelPort['send']>[0],
  translation: Extract<ReturnType<typeof pinTranslationNeedOf>, { kind: 'translate' }>['request'],
  sendOptions: Parameters<ChannelPort['send']>[1],
): Promise<ChannelSendResult> {
  let pinBlock: Uint8Array;
  try {
    pinBlock = await options.hsm.translatePin(translation);
  } catch (error) {
    const code = isReswipeError(error) ? error.code : 'unknown';
    options.logger.warn({ channel: channel.name, keyRef: translation.source.keyRef, code }, 'request with a PIN block not sent: PIN translation failed');
    return { kind: 'not_sent', reason: 'encode_failed', detail: `PIN translation failed: ${code}` };
  }
  return channel.send({ ...request, fields: { ...request.fields, 52: pinBlock } }, sendOptions);
}
