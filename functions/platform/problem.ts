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

const refusalStatus = {
  Forbidden: [403, 'Forbidden'],
  NotFound: [404, 'Not Found'],
  PlanStateConflict: [409, 'Conflict'],
  PlanRevisionConflict: [412, 'Precondition Failed'],
  InvalidCommand: [422, 'Unprocessable Content'],
} as const;

export const problemFromRefusal = (refusal: Refusal): HttpProblem => {
  const [status, title] = refusalStatus[refusal.kind];
  return new HttpProblem(
    status,
    title,
    refusal.reason,
    refusal.kind === 'PlanRevisionConflict' ? { currentRevision: refusal.currentRevision } : {},
    refusal.kind === 'PlanRevisionConflict' ? { ETag: etag(refusal.currentRevision) } : {},
  );
};

export const etag = (revision: number): string => `"${revision}"`;

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
