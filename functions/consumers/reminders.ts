import type { Context } from 'aws-lambda';
import { addDays, ukDate } from '../../domain/calendar.ts';
import { reminderLeadDays, reminderMessage, reminderOwed } from '../../domain/reviews.ts';
import { deliveries, lazyHandler, organisations, reminders, reviews } from '../platform/composition-root.ts';
import { senderAddress, serviceUrl } from '../platform/config.ts';
import { sendOnce } from '../platform/delivery.ts';
import { newId } from '../platform/ids.ts';
import { logger } from '../platform/logger.ts';
import { type Mailer, sesMailer } from '../platform/mailer.ts';
import type { Deliveries, Organisations, Reminders, Reviews } from '../platform/ports.ts';

export type ReminderDependencies = {
  reviews: Pick<Reviews, 'dueBetween'>;
  reminders: Reminders;
  organisations: Pick<Organisations, 'get'>;
  deliveries: Deliveries;
  mailer: Mailer;
  /** Where people sign in: the messages point to the review worklist there. */
  serviceUrl: string;
  now?: () => Date;
};

/** How far back a run looks for reviews that fell overdue: a job that did not run for weeks still catches up. */
export const lookbackDays = 60;

export type ReminderRun = {
  owed: number;
  sent: number;
  alreadySent: number;
  failed: number;
  withoutAddress: number;
};

/** Some reminders were not sent; a later run sends them (each is made once, each message sent once). */
export class RemindersNotSent extends Error {
  override name = 'RemindersNotSent';
}

/**
 * The daily review reminders (an EventBridge schedule in AWS, a timer under `npm start`, and
 * `npm run reminders`): every review due within 14 days or overdue (domain/reviews.ts) is owed one
 * reminder per plan, review date and threshold, made once (a conditional put), and sent to each
 * care-team organisation's registry address once (a delivery record). However often it runs, no
 * one is told twice. Logs carry counts only.
 */
export const createReminders =
  (deps: ReminderDependencies) =>
  async (_event?: unknown, context?: Context): Promise<ReminderRun> => {
    if (context) logger.addContext(context);
    const now = (deps.now ?? (() => new Date()))();
    const today = ukDate(now.toISOString());
    const due = await deps.reviews.dueBetween(
      addDays(today, -lookbackDays),
      addDays(today, reminderLeadDays),
    );
    const run: ReminderRun = { owed: 0, sent: 0, alreadySent: 0, failed: 0, withoutAddress: 0 };
    for (const review of due) {
      const threshold = reminderOwed(review.reviewDate, today);
      if (!threshold) continue;
      run.owed += 1;
      const { reference } = await deps.reminders.claim(
        { nhsNumber: review.nhsNumber, kind: review.kind, reviewDate: review.reviewDate, threshold },
        newId(),
        now.toISOString(),
      );
      const message = reminderMessage({ ...review, threshold, reference }, deps.serviceUrl);
      const addresses = await Promise.all(
        review.careTeam.map(
          async (ods) => (await deps.organisations.get(ods))?.organisation.notificationEmail,
        ),
      );
      run.withoutAddress += addresses.filter((a) => !a).length;
      const unique = [...new Set(addresses.filter((a): a is string => Boolean(a)))];
      const outcomes = await Promise.allSettled(
        unique.map((to) => sendOnce(deps.deliveries, deps.mailer, { reference, to, ...message })),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') run.failed += 1;
        else run[outcome.value] += 1;
      }
    }
    logger.info('review reminders', { ...run });
    if (run.failed > 0) throw new RemindersNotSent(`${run.failed} review reminders not sent`);
    return run;
  };

/** The Lambda entry: SES, from SENDER_ADDRESS, pointing people to SERVICE_URL. */
export const handler = lazyHandler(() =>
  createReminders({
    reviews: reviews(),
    reminders: reminders(),
    organisations: organisations(),
    deliveries: deliveries(),
    mailer: sesMailer(senderAddress()),
    serviceUrl: serviceUrl(),
  }),
);
