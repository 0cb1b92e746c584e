import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { badRequest, type FieldError } from './problem.ts';

// zod/mini ships without messages: the English ones say what is wrong with a field (only the
// functions that validate bodies carry them).
z.config(en());

export const fieldErrors = (error: z.core.$ZodError): FieldError[] =>
  error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));

/** Validates a parsed body against its schema: 400 with every problem listed. */
export const parseBody = <S extends z.ZodMiniType>(schema: S, body: unknown): z.output<S> => {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw badRequest('the request body is not valid', fieldErrors(result.error));
  return result.data;
};
