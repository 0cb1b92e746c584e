/**
 * The calendar date in the UK, where deaths are recorded and grants end: a death just after
 * midnight BST is today, not tomorrow, and a grant until today lasts all of today.
 */
export const ukDate = (iso: string): string =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(iso));
