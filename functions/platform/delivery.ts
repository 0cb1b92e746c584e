import type { Mailer } from './mailer.ts';
import type { Deliveries } from './ports.ts';

/** A message at most once per reference and address: sent now, sent by an earlier run, or refused (throws). */
export const sendOnce = async (
  deliveries: Deliveries,
  mailer: Mailer,
  message: { reference: string; to: string; subject: string; text: string },
): Promise<'sent' | 'alreadySent'> => {
  const claim = await deliveries.claimDelivery(message.reference, message.to);
  if (claim === 'alreadySent') return 'alreadySent';
  // Another run is sending it: this one fails, and the next run finds it sent (or its claim lapsed).
  if (claim === 'inFlight') throw new Error('this message is being sent by another run');
  try {
    await mailer(message);
  } catch (error) {
    await deliveries.releaseDelivery(message.reference, message.to).catch(() => undefined);
    throw error;
  }
  // If this record is lost, the message may be sent once more after the claim lapses: better than never.
  await deliveries.markDelivered(message.reference, message.to).catch(() => undefined);
  return 'sent';
};
