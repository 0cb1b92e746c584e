// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';

const weights = [10, 9, 8, 7, 6, 5, 4, 3, 2];

/** Modulus 11 check of a 10-digit NHS number (NHS Data Dictionary). */
export const isValidNhsNumber = (digits: string): boolean => {
  if (!/^\d{10}$/.test(digits)) return false;
  const total = weights.reduce((sum, weight, i) => sum + weight * Number(digits[i]), 0);
  const check = 11 - (total % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
};

/** Accepts spaces as people write it (`943 476 5919`); stores and compares without them. */
export const normaliseNhsNumber = (input: string): string => input.replace(/\s+/g, '');

export const NhsNumber = /* @__PURE__ */ z
  .pipe(z.string(), z.transform(normaliseNhsNumber))
  .check(z.refine(isValidNhsNumber, 'is not a valid NHS number (10 digits with a Modulus 11 check digit)'))
  .register(z.globalRegistry, {
    id: 'NhsNumber',
    description: '10-digit NHS number; spaces allowed',
    example: '943 476 5919',
  });
