import { describe, expect, it } from 'vitest';
import { isValidNhsNumber, NhsNumber, normaliseNhsNumber } from '../../../domain/nhs-number.ts';

/** An independent Modulus 11 (NHS Data Dictionary): the check digit of the first nine digits, or null if 10. */
const checkDigitOf = (nine: string): number | null => {
  let total = 0;
  for (let i = 0; i < 9; i++) total += Number(nine[i]) * (10 - i);
  const check = 11 - (total % 11);
  if (check === 10) return null;
  return check === 11 ? 0 : check;
};

/** The first `count` valid numbers of the 999 test range, from the independent helper. */
const testRangeNumbers = (count: number): string[] => {
  const found: string[] = [];
  for (let n = 999_000_000; found.length < count; n++) {
    const check = checkDigitOf(String(n));
    if (check !== null) found.push(`${n}${check}`);
  }
  return found;
};

describe('isValidNhsNumber (Modulus 11)', () => {
  it('accepts the docs/domain.md example 9434765919 and refuses 9434765918', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('9434765918')).toBe(false);
  });

  it('agrees with a hand computation of 9434765919', () => {
    // 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
    expect(9 * 10 + 4 * 9 + 3 * 8 + 4 * 7 + 7 * 6 + 6 * 5 + 5 * 4 + 9 * 3 + 1 * 2).toBe(299);
    expect(checkDigitOf('943476591')).toBe(9);
  });

  it('refuses every number whose check comes out as 10, whatever the last digit', () => {
    // 9*10 + 9*9 + 9*8 = 243; 243 mod 11 = 1; check = 10: no tenth digit can make it valid
    expect(checkDigitOf('999000000')).toBeNull();
    for (let last = 0; last <= 9; last++) expect(isValidNhsNumber(`999000000${last}`)).toBe(false);
  });

  it('treats a check of 11 as 0', () => {
    // 9*10 + 9*9 + 9*8 + 5*2 = 253 = 11 * 23; remainder 0; check 11 means 0
    expect(checkDigitOf('999000005')).toBe(0);
    expect(isValidNhsNumber('9990000050')).toBe(true);
    expect(isValidNhsNumber('9990000051')).toBe(false);
  });

  it.each(testRangeNumbers(8))('accepts %s from the 999 test range', (nhs) => {
    expect(isValidNhsNumber(nhs)).toBe(true);
  });

  it.each(testRangeNumbers(8).map((nhs) => `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`))(
    'refuses %s (check digit off by one)',
    (nhs) => {
      expect(isValidNhsNumber(nhs)).toBe(false);
    },
  );

  it.each([
    ['', 'empty'],
    ['943476591', 'nine digits'],
    ['94347659190', 'eleven digits'],
    ['943476591A', 'a letter'],
    ['943-476-5919', 'hyphens'],
    ['943 476 5919', 'spaces (the raw check wants them stripped first)'],
    [' 9434765919', 'a leading space'],
    ['+9434765919', 'a sign'],
    ['9.434765919', 'a decimal point'],
    ['٩٤٣٤٧٦٥٩١٩', 'non-ASCII digits'],
  ])('refuses %j (%s)', (input) => {
    expect(isValidNhsNumber(input)).toBe(false);
  });

  it('agrees with the independent helper over a block of numbers', () => {
    for (let n = 943_476_000; n < 943_476_600; n++) {
      const nine = String(n);
      const check = checkDigitOf(nine);
      for (let last = 0; last <= 9; last++) {
        expect(isValidNhsNumber(`${nine}${last}`)).toBe(check === last);
      }
    }
  });
});

describe('normaliseNhsNumber', () => {
  it.each([
    ['943 476 5919', '9434765919'],
    ['9434765919', '9434765919'],
    [' 943  476\t5919 ', '9434765919'],
  ])('turns %j into %j', (input, output) => {
    expect(normaliseNhsNumber(input)).toBe(output);
  });
});

describe('NhsNumber schema', () => {
  it('accepts spaces and stores the number without them', () => {
    expect(NhsNumber.parse('943 476 5919')).toBe('9434765919');
    expect(NhsNumber.parse('9434765919')).toBe('9434765919');
  });

  it.each([
    '9434765918',
    '943 476 5918',
    '9990000000',
    '943476591',
    '94347659190',
    'abcdefghij',
    '943-476-5919',
  ])('refuses %j with a message about the check digit', (input) => {
    const result = NhsNumber.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/not a valid NHS number/);
  });

  it('refuses a value that is not a string', () => {
    expect(NhsNumber.safeParse(9434765919).success).toBe(false);
  });
});
