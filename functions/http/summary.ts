import { crisisSummary } from '../../domain/views.ts';
import { accessRecords, carers, lazyHandler, patients, revisions } from '../platform/composition-root.ts';
import { authenticated, httpApi, json } from '../platform/http.ts';
import type { Audit, Carers, Patients, Plans } from '../platform/ports.ts';
import { HttpProblem } from '../platform/problem.ts';
import { auditRead, readablePlan } from './reads.ts';

/**
 * GET /patients/{nhs}/plan/summary: what an ambulance crew needs in the first minute.
 * One read of the newest revision, one access-record write, then the answer.
 */
export const createHandler = (ports: {
  plans: Pick<Plans, 'current'>;
  patients: Pick<Patients, 'get'>;
  carers: Pick<Carers, 'grants'>;
  audit: Pick<Audit, 'recordAccess'>;
}) =>
  httpApi('summary', {
    getCrisisSummary: {
      handler: authenticated(async (request) => {
        const { nhsNumber, plan, relationship } = await readablePlan(ports, request);
        const summary = crisisSummary(plan);
        if (!summary)
          throw new HttpProblem(404, 'Not Found', 'this patient has no published plan that is shared');
        await auditRead(ports.audit, request, nhsNumber, 'read_summary', relationship);
        return json(200, summary);
      }),
    },
  });

export const handler = lazyHandler(() =>
  createHandler({ plans: revisions(), patients: patients(), carers: carers(), audit: accessRecords() }),
);
