import { addDays } from './calendar.ts';
import type { Plan } from './plan.ts';

/**
 * Reviews (docs/domain.md "Reviews"): a published plan's planned review date and its CPR
 * decision's review date fall due; the care team sees them on its review worklist and is reminded
 * 14 days before and once overdue. Pure: the projection keeps the index, the scheduled job sends.
 */
export const reviewKinds = ['plan', 'cpr'] as const;
export type ReviewKind = (typeof reviewKinds)[number];

export type ReviewDue = { kind: ReviewKind; date: string };

/** The review dates of the version in force, while the plan is shared: none once withdrawn or closed. */
export const reviewsDue = (plan: Plan | null): ReviewDue[] => {
  const sections = plan?.published?.sections;
  if (!plan || !sections || plan.withdrawal || plan.death) return [];
  const dates: Record<ReviewKind, string | undefined> = {
    plan: sections.review?.date,
    cpr: sections.cpr?.reviewDate,
  };
  return reviewKinds.flatMap((kind) => {
    const date = dates[kind];
    return date ? [{ kind, date }] : [];
  });
};

/** How many days before a review falls due the care team is first reminded. */
export const reminderLeadDays = 14;

export type ReminderThreshold = 'dueSoon' | 'overdue';

/** Which reminder a review is owed today (the UK date), if any: a review already overdue is owed only that one. */
export const reminderOwed = (reviewDate: string, today: string): ReminderThreshold | null => {
  if (reviewDate < today) return 'overdue';
  return reviewDate <= addDays(today, reminderLeadDays) ? 'dueSoon' : null;
};

const what: Record<ReviewKind, string> = {
  plan: 'the planned review of an urgent care plan',
  cpr: 'the review of a CPR decision in an urgent care plan',
};

/**
 * The reminder to one care-team organisation: what falls due and when, where to look, and its
 * reference. Never the NHS number, a name or anything clinical: the worklist says which patient.
 */
export const reminderMessage = (
  reminder: { kind: ReviewKind; reviewDate: string; threshold: ReminderThreshold; reference: string },
  serviceUrl: string,
): { subject: string; text: string } => {
  const base = serviceUrl.replace(/\/+$/, '');
  const overdue = reminder.threshold === 'overdue';
  return {
    subject: overdue ? 'Urgent care plan review overdue' : 'Urgent care plan review due soon',
    text: [
      overdue
        ? `${capitalise(what[reminder.kind])} of a patient in your care was due on ${reminder.reviewDate} and is overdue.`
        : `${capitalise(what[reminder.kind])} of a patient in your care is due on ${reminder.reviewDate}.`,
      '',
      'Please sign in to the Urgent Care Plan service and open your review worklist:',
      `${base}/worklist/reviews`,
      '',
      `Reference: ${reminder.reference}`,
      '',
      'This message holds no clinical details. Please do not reply to it.',
      '',
    ].join('\n'),
  };
};

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
