// One ISO 8583 request to a gateway's terminal link, as a terminal sends it (iso87-ascii, two-byte
// binary length prefix), and its answer: for the drills that act as a terminal (a batch settlement).
import { connect } from 'node:net';
import { encodeFrame, FrameDecoder, getDialect, getText, packMessage, unpackMessage, type IsoMessage } from '../../core/iso8583/index.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';

let stanCounter = 900_000;

export async function sendTerminalRequest(link: { host: string; port: number }, request: { mti: string; fields: Record<number, string> }, timeoutMs = 10_000): Promise<{ responseCode: string | null; answer: IsoMessage }> {
  const dialect = getDialect('iso87-ascii');
  stanCounter = stanCounter >= 999_999 ? 900_000 : stanCounter + 1;
  const stan = String(stanCounter).padStart(6, '0');
  const message: IsoMessage = { mti: request.mti, fields: { 7: transmissionDateTime(Date.now()), 11: stan, ...request.fields } };
  return new Promise((resolve, reject) => {
    const socket = connect({ host: link.host, port: link.port });
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 8192 });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the terminal link within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(encodeFrame('binary2', packMessage(dialect, message))));
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const answer = unpackMessage(dialect, frame);
        if (getText(answer, 11) !== stan) continue;
        clearTimeout(timer);
        socket.end();
        resolve({ responseCode: getText(answer, 39) ?? null, answer });
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
