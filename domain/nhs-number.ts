// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';

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
  .string()
  .transform(normaliseNhsNumber)
  .refine(isValidNhsNumber, 'is not a valid NHS number (10 digits with a Modulus 11 check digit)')
  .meta({ id: 'NhsNumber', description: '10-digit NHS number; spaces allowed', example: '943 476 5919' });
