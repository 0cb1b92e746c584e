/**
 * EventBridge event patterns, which Lambda event filtering shares, as AWS documents them
 * ("Amazon EventBridge event patterns", "Content filtering"): a pattern is an object whose leaves
 * are arrays of allowed values; an event matches when every field of the pattern matches. Values:
 * exact (strings, numbers compared as numbers, booleans, null), `prefix`, `suffix`,
 * `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or a prefix, suffix,
 * equals-ignore-case or wildcard), `numeric` ranges, `exists`, `cidr`; `$or` lists alternatives.
 * An array in the event matches when any of its elements does. A pattern with a form this does not
 * know is refused, never guessed at.
 */

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

type Pattern = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** EventBridge `wildcard`: `*` matches any run of characters, `\*` a literal star. */
const wildcardMatches = (wildcard: string, value: string): boolean => {
  const source = wildcard
    .split(/(\\\*|\*)/)
    .map((part) =>
      part === '*' ? '.*' : part === '\\*' ? '\\*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
};

const ipv4ToNumber = (ip: string): number | undefined => {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
};

const cidrMatches = (cidr: string, value: unknown): boolean => {
  const [base = '', bits = '32'] = cidr.split('/');
  const network = ipv4ToNumber(base);
  const address = typeof value === 'string' ? ipv4ToNumber(value) : undefined;
  if (network === undefined) throw new PatternError(`cidr ${cidr}: only IPv4 ranges are rehearsed`);
  if (address === undefined) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(address / size) === Math.floor(network / size);
};

const numericOperators: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '=': (a, b) => a === b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** A string matcher object (`prefix`, `suffix`), plain or `{ equals-ignore-case }`. */
const affix = (spec: unknown, value: string, test: (v: string, s: string) => boolean): boolean => {
  if (typeof spec === 'string') return test(value, spec);
  if (isObject(spec) && typeof spec['equals-ignore-case'] === 'string')
    return test(value.toLowerCase(), spec['equals-ignore-case'].toLowerCase());
  throw new PatternError(`unknown prefix or suffix form ${JSON.stringify(spec)}`);
};

/** One allowed value (a leaf's element) against one present, non-array event value. */
function matchesOne(allowed: unknown, value: unknown): boolean {
  if (!isObject(allowed)) {
    if (typeof allowed === 'number' && typeof value === 'number') return allowed === value;
    return allowed === value;
  }
  const [operator, ...others] = Object.keys(allowed);
  if (others.length > 0)
    throw new PatternError(`a value matcher has one operator, not ${Object.keys(allowed)}`);
  const spec = allowed[operator as string];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(spec, value, (v, s) => v.startsWith(s));
    case 'suffix':
      return typeof value === 'string' && affix(spec, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof spec === 'string' && value.toLowerCase() === spec.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof spec === 'string' && wildcardMatches(spec, value);
    case 'cidr':
      return cidrMatches(String(spec), value);
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(spec)) return false;
      for (let i = 0; i < spec.length; i += 2) {
        const compare = numericOperators[String(spec[i])];
        if (!compare) throw new PatternError(`unknown numeric operator ${String(spec[i])}`);
        if (!compare(value, Number(spec[i + 1]))) return false;
      }
      return true;
    }
    case 'anything-but': {
      if (Array.isArray(spec)) return !spec.some((s) => matchesOne(s, value));
      if (isObject(spec)) return !matchesOne(spec, value);
      return !matchesOne(spec, value);
    }
    default:
      throw new PatternError(`the rehearsal does not know the matcher ${operator}`);
  }
}

/** A leaf: the event's value (maybe absent, maybe an array) against the allowed values. */
function matchesLeaf(allowed: unknown[], present: boolean, value: unknown): boolean {
  return allowed.some((a) => {
    if (isObject(a) && 'exists' in a) {
      const exists = present && value !== null && !(Array.isArray(value) && value.length === 0);
      return a.exists === exists;
    }
    if (!present) return false;
    return Array.isArray(value) ? value.some((v) => matchesOne(a, v)) : matchesOne(a, value);
  });
}

/** Whether `event` (an EventBridge event, or a stream record for Lambda filters) matches `pattern`. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (!isObject(pattern)) throw new PatternError('a pattern is a JSON object');
  return Object.entries(pattern).every(([field, spec]) => {
    if (field === '$or') {
      if (!Array.isArray(spec)) throw new PatternError('$or takes a list of patterns');
      return spec.some((alternative) => matchesPattern(alternative as Pattern, event));
    }
    const container = isObject(event) ? event : undefined;
    const present = container !== undefined && Object.hasOwn(container, field);
    const value = container?.[field];
    if (Array.isArray(spec)) return matchesLeaf(spec, present, value);
    if (isObject(spec)) {
      if (Array.isArray(value)) return value.some((element) => matchesPattern(spec, element));
      return matchesPattern(spec, present ? value : undefined);
    }
    throw new PatternError(`the pattern for ${field} is neither a list of values nor an object`);
  });
}
