import { crisisSummary } from '../../domain/views.ts';
import {
  accessRecords,
  carers,
  lazyHandler,
  patients,
  revisions,
  serviceSigner,
} from '../platform/composition-root.ts';
import { signedSummaryHours } from '../platform/config.ts';
import { type ApiRequest, authenticated, httpApi, json } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import type { Audit, Carers, Patients, Plans, ServiceSigner } from '../platform/ports.ts';
import { HttpProblem } from '../platform/problem.ts';
import { auditRead, readablePlan } from './reads.ts';

/** The JWS header's `typ` of a signed crisis summary (docs/api.md "The signed crisis summary"). */
export const signedSummaryType = 'crisis-summary+jwt';

/** `Accept: application/jose` asks for the summary signed: a copy a crew can check offline. */
const wantsSigned = (request: ApiRequest): boolean =>
  (request.headers.accept ?? '').split(',').some((type) => type.split(';')[0]?.trim() === 'application/jose');

/**
 * GET /patients/{nhs}/plan/summary: what an ambulance crew needs in the first minute.
 * One read of the newest revision, one access-record write, then the answer: JSON, or a compact
 * JWS of it signed with the service's key.
 */
export const createHandler = (ports: {
  plans: Pick<Plans, 'current'>;
  patients: Pick<Patients, 'get'>;
  carers: Pick<Carers, 'grants'>;
  audit: Pick<Audit, 'recordAccess'>;
  signer: () => ServiceSigner;
}) =>
  httpApi('summary', {
    getCrisisSummary: {
      handler: authenticated(async (request) => {
        const { nhsNumber, plan, relationship } = await readablePlan(ports, request);
        const summary = crisisSummary(plan);
        if (!summary)
          throw new HttpProblem(404, 'Not Found', 'this patient has no published plan that is shared');
        const signed = wantsSigned(request);
        await auditRead(ports.audit, request, nhsNumber, 'read_summary', relationship);
        if (!signed) return json(200, summary, { Vary: 'Accept' });
        const iat = Math.floor(Date.now() / 1000);
        const jws = await ports.signer().sign(
          {
            ...summary,
            planVersion: summary.version,
            iat,
            nbf: iat,
            exp: iat + signedSummaryHours() * 3600,
            jti: newId(),
          },
          { typ: signedSummaryType },
        );
        return {
          statusCode: 200,
          headers: { 'Content-Type': 'application/jose', 'Cache-Control': 'no-store', Vary: 'Accept' },
          body: jws,
        };
      }),
    },
  });

export const handler = lazyHandler(() =>
  createHandler({
    plans: revisions(),
    patients: patients(),
    carers: carers(),
    audit: accessRecords(),
    signer: serviceSigner,
  }),
);
