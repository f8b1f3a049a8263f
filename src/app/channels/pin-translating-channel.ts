// Puts PIN translation between the engine and a channel: a request carrying DE 52 leaves with the PIN
// block under the channel's zone PIN key, translated by the HSM port, or does not leave at all (not
// sent, so the engine may try another channel and no money moved). The engine is unchanged and never
// sees a key; swapping the software HSM for a hardware one changes only what serve.ts passes here.
import type { ChannelPort, LoggerLike } from '../../core/ports/channel.ts';
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
    async send(request, sendOptions) {
      const need = pinTranslationNeedOf(request, options.zonePinKeyRef);
      switch (need.kind) {
        case 'none':
          return channel.send(request, sendOptions);
        case 'refuse':
          options.logger.warn({ channel: channel.name, reason: need.reason }, 'request with a PIN block not sent: it cannot be translated');
          return { kind: 'not_sent', reason: 'encode_failed', detail: `PIN translation impossible: ${need.reason}` };
        case 'translate': {
          let pinBlock: Uint8Array;
          try {
            pinBlock = await options.hsm.translatePin(need.request);
          } catch (error) {
            const code = isReswipeError(error) ? error.code : 'unknown';
            options.logger.warn({ channel: channel.name, keyRef: need.request.source.keyRef, code }, 'request with a PIN block not sent: PIN translation failed');
            return { kind: 'not_sent', reason: 'encode_failed', detail: `PIN translation failed: ${code}` };
          }
          return channel.send({ ...request, fields: { ...request.fields, 52: pinBlock } }, sendOptions);
        }
      }
    },
  };
}
