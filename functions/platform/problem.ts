import { STATUS_CODES } from 'node:http';
import type { Refusal } from '../../domain/refusals.ts';

export type FieldError = { path: string; message: string };

/** An RFC 9457 problem: the only shape an error leaves this service in. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  readonly title: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    title: string,
    detail: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = status;
    this.title = title;
    this.extra = extra;
    this.headers = headers;
  }
}

export const badRequest = (detail: string, errors: FieldError[] = []) =>
  new HttpProblem(400, 'Bad Request', detail, { errors });

/** The status's reason phrase as RFC 9110 names it (Node still has the older names for 413 and 422). */
export const titleOf = (status: number): string =>
  ({ 413: 'Content Too Large', 422: 'Unprocessable Content' })[status] ?? STATUS_CODES[status] ?? 'Error';

const refusalStatus = {
  Forbidden: 403,
  NotFound: 404,
  PlanStateConflict: 409,
  RevisionConflict: 412,
  RevisionRequired: 428,
  InvalidCommand: 422,
} as const;

export const problemFromRefusal = (refusal: Refusal): HttpProblem => {
  const status = refusalStatus[refusal.kind];
  const current = refusal.kind === 'RevisionConflict' ? refusal.currentRevision : null;
  return new HttpProblem(
    status,
    titleOf(status),
    refusal.reason,
    current === null ? {} : { currentRevision: current },
    current === null ? {} : { ETag: etag(current) },
  );
};

export const etag = (revision: number): string => `"${revision}"`;

/** A conditional write that lost its race to another writer: 412, with the revision that won as `currentRevision` and ETag. */
export const lostRace = (detail: string, currentRevision: number): HttpProblem =>
  new HttpProblem(412, 'Precondition Failed', detail, { currentRevision }, { ETag: etag(currentRevision) });

export const problemBody = (
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
) => ({
  type: 'about:blank',
  title,
  status,
  detail,
  ...extra,
});
