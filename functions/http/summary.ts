import { crisisSummary } from '../../domain/views.ts';
import { planRepository } from '../platform/dynamo.ts';
import { authenticated, httpApi, json, nhsNumberParam } from '../platform/http.ts';
import { HttpProblem } from '../platform/problem.ts';
import { auditRead, authoriseRead, refuseOtherCitizens, requirePlan } from './reads.ts';

/**
 * GET /patients/{nhs}/plan/summary: what an ambulance crew needs in the first minute.
 * One read of the newest revision, one access-record write, then the answer.
 */
export const handler = httpApi([
  {
    method: 'GET',
    path: '/patients/{nhs}/plan/summary',
    handler: authenticated(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      refuseOtherCitizens(request.actor, nhsNumber);
      const plan = requirePlan(await planRepository().currentPlan(nhsNumber));
      const relationship = authoriseRead(request, nhsNumber, plan.careTeam);
      const summary = crisisSummary(plan);
      if (!summary)
        throw new HttpProblem(404, 'Not Found', 'this patient has no published plan that is shared');
      await auditRead(request, nhsNumber, 'read_summary', relationship);
      return json(200, summary);
    }),
  },
]);
