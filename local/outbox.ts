import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertOneLine, type Mailer } from '../functions/platform/mailer.ts';

/** Who local notifications come from. */
export const localSender = 'Urgent Care Plans <notifications@urgent-care-plans.localhost>';

/** A short, stable hash of an address: names the file without putting the address in it. */
const shortHash = (address: string): string =>
  createHash('sha256').update(address.trim().toLowerCase()).digest('hex').slice(0, 12);

/** RFC 5322 date-time, in UTC: `Sat, 21 Nov 2026 10:00:00 +0000`. */
const rfc5322Date = (date: Date): string => date.toUTCString().replace(/GMT$/, '+0000');

/** An RFC 2047 encoded-word when the value is not plain ASCII. */
const encodeHeader = (value: string): string =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/**
 * Notifications on one machine: each message becomes one RFC 5322 `.eml` file in `dir`, named
 * `<reference>-<short hash of the recipient>.eml`, written whole or not at all (a temporary file,
 * then a rename). Open them with any mail client; the same message again replaces its file.
 */
export const folderMailer = (dir: string, options: { sender?: string; now?: () => Date } = {}): Mailer => {
  const sender = options.sender ?? localSender;
  const now = options.now ?? (() => new Date());
  return async ({ to, subject, text, reference }) => {
    assertOneLine('recipient', to);
    assertOneLine('subject', subject);
    if (!/^[A-Za-z0-9._-]+$/.test(reference)) throw new Error('the reference must be a plain id');
    const hash = shortHash(to);
    const body = text.replace(/\r?\n/g, '\r\n');
    const message = [
      `From: ${sender}`,
      `To: ${to}`,
      `Subject: ${encodeHeader(subject)}`,
      `Date: ${rfc5322Date(now())}`,
      `Message-ID: <${reference}.${hash}@urgent-care-plans.localhost>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body.endsWith('\r\n') ? body : `${body}\r\n`,
    ].join('\r\n');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${reference}-${hash}.eml`);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, message, { encoding: 'utf8', flag: 'wx' });
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  };
};
