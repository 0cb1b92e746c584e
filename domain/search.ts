/**
 * Finding a patient by their demographics, with the NHS Personal Demographics Service's semantics
 * (docs/domain.md "Finding a patient"): family name and birth date at least (a range allowed),
 * prefix wildcards (`Byr*`), names compared without case, accents or punctuation, and a fuzzy mode
 * on Double Metaphone codes that needs given name, family name and one birth date. Pure: the
 * phonetic codes are worked out by the caller (functions/platform/phonetic.ts) and passed in.
 */

/** The most matches a search returns; more is "too many matches" (422). */
export const maxMatches = 50;

/** Lower case a-z and digits only: accents, case, spaces and punctuation dropped ("O'Brien-Smyth" is "obriensmyth"). */
export const normaliseName = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

/** The words of a name, for phonetic codes: "Mary-Ann" is "mary", "ann". */
export const nameWords = (name: string): string[] =>
  name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^a-z0-9']+/)
    .map((w) => w.replace(/'/g, ''))
    .filter(Boolean);

export const normalisePostcode = (postcode: string): string => postcode.replace(/\s+/g, '').toUpperCase();

export const genders = ['male', 'female', 'other', 'unknown'] as const;
export type Gender = (typeof genders)[number];

/** A name as asked: exact, or a prefix (`Byr*`). */
export type NameTerm = { value: string; prefix: boolean };

export type PatientSearch = {
  family: NameTerm;
  given?: NameTerm;
  /** Birth dates from and to, both included. */
  born: { from: string; to: string };
  postcode?: string;
  gender?: Gender;
  fuzzy: boolean;
};

export type SearchError = { path: string; message: string };

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const validDate = (date: string): boolean =>
  isoDate.test(date) && new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);

const nameTerm = (raw: string, path: string, errors: SearchError[]): NameTerm | undefined => {
  const prefix = raw.trim().endsWith('*');
  const body = raw.trim().replace(/\*$/, '');
  if (body.includes('*')) {
    errors.push({ path, message: 'a wildcard (*) may come only at the end' });
    return undefined;
  }
  const value = normaliseName(body);
  if (value.length === 0) {
    errors.push({ path, message: 'needs at least one letter' });
    return undefined;
  }
  if (prefix && value.length < 2) {
    errors.push({ path, message: 'a wildcard needs at least two characters before it' });
    return undefined;
  }
  return { value, prefix };
};

/**
 * The search asked by a query string. `birthDate` is one date, or up to two with the FHIR
 * prefixes `eq`, `ge` and `le` (`birthDate=ge1941-01-01&birthDate=le1941-12-31`).
 */
export const parseSearch = (query: {
  family?: string;
  given?: string;
  birthDate?: readonly string[];
  postcode?: string;
  gender?: string;
  fuzzy?: string;
}): { ok: true; search: PatientSearch } | { ok: false; errors: SearchError[] } => {
  const errors: SearchError[] = [];
  if (query.family === undefined) errors.push({ path: 'family', message: 'the family name is needed' });
  const family = query.family === undefined ? undefined : nameTerm(query.family, 'family', errors);
  const given = query.given === undefined ? undefined : nameTerm(query.given, 'given', errors);
  const dates = query.birthDate ?? [];
  if (dates.length === 0) errors.push({ path: 'birthDate', message: 'the birth date is needed, or a range' });
  if (dates.length > 2) errors.push({ path: 'birthDate', message: 'at most two: ge and le' });
  // ISO dates sort as text: the latest lower bound and the earliest upper bound make the range.
  const lower: string[] = [];
  const upper: string[] = [];
  for (const raw of dates.slice(0, 2)) {
    const [, op = 'eq', date = ''] = /^(eq|ge|le)?(.*)$/.exec(raw.trim()) ?? [];
    if (!validDate(date)) {
      errors.push({ path: 'birthDate', message: 'must be YYYY-MM-DD, optionally after eq, ge or le' });
      continue;
    }
    if (op !== 'le') lower.push(date);
    if (op !== 'ge') upper.push(date);
  }
  const born = { from: lower.sort().at(-1) ?? '', to: upper.sort().at(0) ?? '' };
  if (dates.length > 0 && (lower.length === 0 || upper.length === 0))
    errors.push({ path: 'birthDate', message: 'a range needs both ends: ge and le' });
  if (born.from > born.to) errors.push({ path: 'birthDate', message: 'the range ends before it starts' });
  const gender = query.gender?.trim().toLowerCase();
  if (gender !== undefined && !(genders as readonly string[]).includes(gender))
    errors.push({ path: 'gender', message: `one of ${genders.join(', ')}` });
  const postcode = query.postcode === undefined ? undefined : normalisePostcode(query.postcode);
  if (postcode !== undefined && !/^[A-Z0-9]{2,8}$/.test(postcode))
    errors.push({ path: 'postcode', message: 'must be a UK postcode' });
  if (query.fuzzy !== undefined && query.fuzzy !== 'true' && query.fuzzy !== 'false')
    errors.push({ path: 'fuzzy', message: 'true or false' });
  const fuzzy = query.fuzzy === 'true';
  if (fuzzy) {
    if (query.given === undefined)
      errors.push({ path: 'given', message: 'a fuzzy search needs the given name too' });
    if (born.from !== born.to)
      errors.push({ path: 'birthDate', message: 'a fuzzy search needs one birth date, not a range' });
    if (family?.prefix || given?.prefix)
      errors.push({ path: family?.prefix ? 'family' : 'given', message: 'a fuzzy search takes no wildcard' });
  }
  if (errors.length > 0 || !family) return { ok: false, errors };
  return {
    ok: true,
    search: {
      family,
      born,
      fuzzy,
      ...(given && { given }),
      ...(postcode && { postcode }),
      ...(gender && { gender: gender as Gender }),
    },
  };
};

/** A patient as the search index holds them: normalised names and their phonetic codes. */
export type SearchCandidate = {
  nhsNumber: string;
  name: { given: string; family: string };
  birthDate: string;
  postcode: string;
  gender?: Gender;
  keys: { family: string; given: string; familyCodes: string[]; givenCodes: string[] };
};

export type SearchMatch = {
  nhsNumber: string;
  name: { given: string; family: string };
  birthDate: string;
  postcode: string;
  score: number;
};

const termMatches = (term: NameTerm, value: string): boolean =>
  term.prefix ? value.startsWith(term.value) : value === term.value;

const soundsAlike = (a: readonly string[], b: readonly string[]): boolean =>
  a.some((code) => b.includes(code));

/**
 * How well a candidate matches: 1 for an exact match, less for one found by sound (0.8 a name);
 * null for no match. `codes` are the phonetic codes of the asked family and given names.
 */
export const matchCandidate = (
  search: PatientSearch,
  codes: { family: string[]; given: string[] },
  candidate: SearchCandidate,
): number | null => {
  if (candidate.birthDate < search.born.from || candidate.birthDate > search.born.to) return null;
  if (search.postcode && normalisePostcode(candidate.postcode) !== search.postcode) return null;
  // A record without a gender is not ruled out by one: better found than missed in a crisis.
  if (search.gender && candidate.gender && candidate.gender !== search.gender) return null;
  const name = (
    term: NameTerm | undefined,
    value: string,
    asked: string[],
    held: string[],
  ): number | null => {
    if (!term) return 1;
    if (termMatches(term, value)) return 1;
    return search.fuzzy && soundsAlike(asked, held) ? 0.8 : null;
  };
  const family = name(search.family, candidate.keys.family, codes.family, candidate.keys.familyCodes);
  // A given name matches the whole of the given names or any one of them ("Mary" finds "Mary Ann").
  const givenWords = [candidate.keys.given, ...candidate.name.given.split(/\s+/).map(normaliseName)];
  const given = search.given
    ? Math.max(
        ...givenWords.map(
          (word) =>
            name(search.given, word, codes.given, candidate.keys.givenCodes) ?? Number.NEGATIVE_INFINITY,
        ),
      )
    : 1;
  if (family === null || given === Number.NEGATIVE_INFINITY) return null;
  return Math.round(family * given * 100) / 100;
};

/** Best first, then by name and NHS number so the order is stable. */
export const byScore = (a: SearchMatch, b: SearchMatch): number =>
  b.score - a.score ||
  normaliseName(a.name.family).localeCompare(normaliseName(b.name.family)) ||
  normaliseName(a.name.given).localeCompare(normaliseName(b.name.given)) ||
  a.nhsNumber.localeCompare(b.nhsNumber);
