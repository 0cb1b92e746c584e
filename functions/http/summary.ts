import { crisisSummary } from '../../domain/views.ts';
import { authenticated, httpApi, json } from '../platform/http.ts';
import { HttpProblem } from '../platform/problem.ts';
import { auditRead, readablePlan } from './reads.ts';

/**
 * GET /patients/{nhs}/plan/summary: what an ambulance crew needs in the first minute.
 * One read of the newest revision, one access-record write, then the answer.
 */
export const handler = httpApi('summary', {
  getCrisisSummary: {
    handler: authenticated(async (request) => {
      const { nhsNumber, plan, relationship } = await readablePlan(request);
      const summary = crisisSummary(plan);
      if (!summary)
        throw new HttpProblem(404, 'Not Found', 'this patient has no published plan that is shared');
      await auditRead(request, nhsNumber, 'read_summary', relationship);
      return json(200, summary);
    }),
  },
});
