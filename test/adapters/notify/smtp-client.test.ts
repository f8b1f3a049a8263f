// Goal: the minimal SMTP client speaks the protocol a real server expects and reports refusals as
// data. Method: a small SMTP server in the test (node:net) records the dialogue; a mail is sent with
// AUTH PLAIN and a UTF-8 subject; a server refusing the recipient gives a failed result with its code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { sendMail } from '../../../src/adapters/notify/smtp-client.ts';

function smtpServer(options: { refuseRcpt?: boolean }): Promise<{ server: Server; port: number; dialogue: string[] }> {
  const dialogue: string[] = [];
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.write('220 test ESMTP\r\n');
    let buffer = '';
    let inData = false;
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let index: number;
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        dialogue.push(line);
        if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 queued\r\n');
          }
          continue;
        }
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') socket.write('250-test\r\n250 AUTH PLAIN\r\n');
        else if (verb === 'AUTH') socket.write('235 ok\r\n');
        else if (verb === 'MAIL') socket.write('250 ok\r\n');
        else if (verb === 'RCPT') socket.write(options.refuseRcpt === true ? '550 no such user\r\n' : '250 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('500 what\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, dialogue })));
}

test('a mail goes through EHLO, AUTH PLAIN, MAIL, RCPT, DATA and QUIT', async () => {
  const { server, port, dialogue } = await smtpServer({});
  try {
    const result = await sendMail({ host: '127.0.0.1', port, security: 'none', username: 'ops', password: 'pw', from: 'reswipe@example.test', timeoutMs: 5000 }, { to: ['oncall@example.test'], subject: '[严重] 告警', text: '.leading dot\nline', id: 'alr_1:firing:1' });
    assert.deepEqual(result, { ok: true, code: 250, error: null });
    assert.equal(dialogue[0], 'EHLO reswipe');
    assert.equal(dialogue[1], `AUTH PLAIN ${Buffer.from('\u0000ops\u0000pw').toString('base64')}`);
    assert.equal(dialogue[2], 'MAIL FROM:<reswipe@example.test>');
    assert.equal(dialogue[3], 'RCPT TO:<oncall@example.test>');
    assert.ok(dialogue.includes(`Subject: =?UTF-8?B?${Buffer.from('[严重] 告警').toString('base64')}?=`));
    assert.equal(dialogue.at(-1), 'QUIT');
  } finally {
    server.close();
  }
});

test('a refused recipient is a failed result with the server\'s code, not a throw', async () => {
  const { server, port } = await smtpServer({ refuseRcpt: true });
  try {
    const result = await sendMail({ host: '127.0.0.1', port, security: 'none', from: 'reswipe@example.test', timeoutMs: 5000 }, { to: ['nobody@example.test'], subject: 's', text: 't', id: 'x' });
    assert.equal(result.ok, false);
    assert.equal(result.code, 550);
  } finally {
    server.close();
  }
});

test('STARTTLS is required when asked for and the server does not offer it', async () => {
  const { server, port } = await smtpServer({});
  try {
    const result = await sendMail({ host: '127.0.0.1', port, security: 'starttls', from: 'reswipe@example.test', timeoutMs: 5000 }, { to: ['a@example.test'], subject: 's', text: 't', id: 'x' });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /STARTTLS/);
  } finally {
    server.close();
  }
});
