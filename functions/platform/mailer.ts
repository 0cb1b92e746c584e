import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';

/** One plain-text email. `reference` is the event id: it names the message, never its content. */
export type OutgoingMessage = { to: string; subject: string; text: string; reference: string };

/** Sends one message or throws; a throw means it was not sent. */
export type Mailer = (message: OutgoingMessage) => Promise<void>;

/** Header values must stay on one line: a line break in one would let it add headers. */
export const assertOneLine = (name: string, value: string): void => {
  if (/[\r\n]/.test(value)) throw new Error(`the ${name} of a message must be on one line`);
};

/** Email through SES (v1 API: LocalStack serves it too). `sender` must be a verified identity. */
export const sesMailer = (sender: string, client: SESClient = new SESClient({})): Mailer => {
  if (!sender) throw new Error('no sender address: set SENDER_ADDRESS');
  return async ({ to, subject, text }) => {
    assertOneLine('recipient', to);
    assertOneLine('subject', subject);
    await client.send(
      new SendEmailCommand({
        Source: sender,
        Destination: { ToAddresses: [to] },
        Message: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Text: { Data: text, Charset: 'UTF-8' } },
        },
      }),
    );
  };
};
