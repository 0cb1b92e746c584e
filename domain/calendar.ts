/** The service's calendar is the UK's: dates of death, grant ends, review dates and report months are London's. */
const londonDate = /* @__PURE__ */ new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * The calendar date in the UK of an instant: a death just after midnight BST is today, not
 * tomorrow, and a grant until today lasts all of today.
 */
export const ukDate = (iso: string): string => londonDate.format(new Date(iso));

/** The UK month (`YYYY-MM`) of an instant, or of a calendar date as it is. */
export const ukMonth = (isoDateOrTime: string): string =>
  (isoDateOrTime.length === 10 ? isoDateOrTime : ukDate(isoDateOrTime)).slice(0, 7);

/** The calendar date `days` after `date` (both `YYYY-MM-DD`); negative goes back. */
export const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The months from `from` to `to` (`YYYY-MM`), both included, in order. */
export const monthsBetween = (from: string, to: string): string[] => {
  const months: string[] = [];
  let [year, month] = from.split('-').map(Number) as [number, number];
  for (;;) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    if (current > to) return months;
    months.push(current);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
};
