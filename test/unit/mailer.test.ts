import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/platform/mailer.ts';
import { folderMailer, localSender } from '../../local/outbox.ts';

const message = {
  to: 'riverside.surgery@nhs.net',
  subject: 'Urgent care plan published',
  text: 'A new version has been published.\n\nReference: 01JD8X3Q7ZK4V5N6P7R8S9T0AB\n',
  reference: '01JD8X3Q7ZK4V5N6P7R8S9T0AB',
};

describe('sesMailer', () => {
  const ses = mockClient(SESClient);
  beforeEach(() => ses.reset());
  afterAll(() => ses.restore());

  it('sends one plain-text email through SES v1 SendEmail', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await sesMailer('Urgent Care Plans <no-reply@ucp.example.nhs.uk>')(message);
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Source: 'Urgent Care Plans <no-reply@ucp.example.nhs.uk>',
      Destination: { ToAddresses: ['riverside.surgery@nhs.net'] },
      Message: {
        Subject: { Data: 'Urgent care plan published', Charset: 'UTF-8' },
        Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
      },
    });
  });

  it('throws when SES refuses, so the caller knows it was not sent', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttling' }));
    await expect(sesMailer('no-reply@ucp.example.nhs.uk')(message)).rejects.toThrow('throttled');
  });

  it('refuses line breaks in the recipient or subject, and a missing sender', async () => {
    const send = sesMailer('no-reply@ucp.example.nhs.uk');
    await expect(send({ ...message, subject: 'Hi\r\nBcc: x@example.org' })).rejects.toThrow(/one line/);
    await expect(send({ ...message, to: 'a@example.org\nBcc: x@example.org' })).rejects.toThrow(/one line/);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(() => sesMailer('')).toThrow(/SENDER_ADDRESS/);
  });
});

describe('folderMailer', () => {
  const root = mkdtempSync(join(tmpdir(), 'ucp-outbox-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const now = () => new Date('2026-11-21T10:00:00.000Z');

  it('writes one RFC 5322 message per call, creating the folder, and leaves no temporary file', async () => {
    const dir = join(root, 'a', 'outbox');
    await folderMailer(dir, { now })(message);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^01JD8X3Q7ZK4V5N6P7R8S9T0AB-[0-9a-f]{12}\.eml$/);
    const eml = readFileSync(join(dir, files[0] as string), 'utf8');
    const split = eml.indexOf('\r\n\r\n');
    const head = eml.slice(0, split);
    const body = eml.slice(split + 4);
    expect(head.split('\r\n')).toEqual([
      `From: ${localSender}`,
      'To: riverside.surgery@nhs.net',
      'Subject: Urgent care plan published',
      'Date: Sat, 21 Nov 2026 10:00:00 +0000',
      expect.stringMatching(/^Message-ID: <01JD8X3Q7ZK4V5N6P7R8S9T0AB\.[0-9a-f]{12}@[a-z.-]+>$/),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ]);
    expect(body).toBe('A new version has been published.\r\n\r\nReference: 01JD8X3Q7ZK4V5N6P7R8S9T0AB\r\n');
    expect(eml.replaceAll('\r\n', '')).not.toContain('\n');
  });

  it('names files by reference and recipient: two recipients two files, the same message again replaces its file', async () => {
    const dir = join(root, 'b');
    const send = folderMailer(dir, { now, sender: 'dev@localhost' });
    await send(message);
    await send({ ...message, to: 'hospice@nhs.net' });
    await send(message);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(readdirSync(dir).join(' ')).not.toContain('nhs.net');
  });

  it('encodes a non-ASCII subject and refuses header injection', async () => {
    const dir = join(root, 'c');
    const send = folderMailer(dir, { now });
    await send({ ...message, subject: 'Plan publié' });
    const [file] = readdirSync(dir);
    const eml = readFileSync(join(dir, file as string), 'utf8');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Plan publié').toString('base64')}?=`);
    await expect(send({ ...message, to: 'a@example.org\r\nBcc: x@example.org' })).rejects.toThrow(/one line/);
    await expect(send({ ...message, reference: '../escape' })).rejects.toThrow(/plain id/);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
