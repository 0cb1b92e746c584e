import fc from 'fast-check';

/**
 * fast-check arbitraries from a JSON Schema, for the subset zod's `toJSONSchema` writes for our
 * section schemas: objects, strings (length, pattern, date format), integers, booleans, arrays,
 * enums and `$ref`s into `$defs`. zod-fast-check does not support zod 4, hence this; the refinements
 * a JSON Schema cannot say (a DNACPR needs its date and author) are left to the caller's filter.
 */
type Schema = {
  $ref?: string;
  $defs?: Record<string, Schema>;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  maxItems?: number;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: Schema[];
};

const isoDate = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2040-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Printable text with markup and non-ASCII in it: whatever a person may type. */
const text = (min: number, max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 60) })
    .filter((s) => s.trim().length >= min);

export const arbitraryOf = (root: Schema): fc.Arbitrary<unknown> => {
  const defs = root.$defs ?? {};
  const of = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (schema.$ref) {
      const name = schema.$ref.replace('#/$defs/', '');
      const target = defs[name];
      if (!target) throw new Error(`no $defs entry ${name}`);
      return of(target, depth + 1);
    }
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => of(s, depth)));
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    switch (schema.type) {
      case 'object': {
        const required = new Set(schema.required ?? []);
        const properties = Object.fromEntries(
          Object.entries(schema.properties ?? {}).map(([key, s]) => [key, of(s, depth + 1)]),
        );
        return fc.record(properties, {
          requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
        });
      }
      case 'array':
        return fc.array(of(schema.items ?? {}, depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 5, 4),
        });
      case 'string':
        if (schema.format === 'date') return isoDate;
        if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
        return text(schema.minLength ?? 0, schema.maxLength ?? 200);
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
      case 'boolean':
        return fc.boolean();
      default:
        throw new Error(`unsupported schema: ${JSON.stringify(schema).slice(0, 200)}`);
    }
  };
  return of(root, 0);
};
