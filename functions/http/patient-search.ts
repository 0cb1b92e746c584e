import { readDemographics, searchPatients } from '../../domain/access.ts';
import { byScore, matchCandidate, maxMatches, parseSearch, type SearchMatch } from '../../domain/search.ts';
import { breakGlassReason } from '../platform/command-context.ts';
import {
  accessRecords,
  lazyHandler,
  patientIndex,
  patients,
  revisions,
} from '../platform/composition-root.ts';
import { authenticated, httpApi, json } from '../platform/http.ts';
import { phoneticCodes } from '../platform/phonetic.ts';
import type { Audit, PatientIndex, Patients, Plans } from '../platform/ports.ts';
import { badRequest, HttpProblem, titleOf } from '../platform/problem.ts';
import { auditRead, unlessRefused } from './reads.ts';

export type SearchPorts = {
  patientIndex: Pick<PatientIndex, 'byFamilyName' | 'bornOn'>;
  patients: Pick<Patients, 'get'>;
  plans: Pick<Plans, 'current'>;
  audit: Pick<Audit, 'recordAccess'>;
};

/** Candidates read from the index before names are compared and access is checked: a bound on the work. */
const maxCandidates = maxMatches * 4;

const tooManyMatches = () =>
  new HttpProblem(
    422,
    titleOf(422),
    `too many matches: more than ${maxMatches}. Give the given name, the exact birth date, the postcode or the gender`,
  );

/**
 * GET /patients: find a patient by name and birth date (domain/search.ts). Only patients the
 * searcher may read are returned (a search tells no one else that a person is in the service), and
 * each is an access record the patient sees, written before the answer. The search terms go to no
 * log line: the request line names the route template only.
 */
export const createHandler = (ports: SearchPorts) =>
  httpApi('patientSearch', {
    searchPatients: {
      handler: authenticated(async (request) => {
        unlessRefused(searchPatients(request.actor));
        const { family, given, postcode, gender, fuzzy } = request.query;
        const birthDate =
          request.event.multiValueQueryStringParameters?.birthDate ??
          (request.query.birthDate === undefined ? undefined : [request.query.birthDate]);
        const parsed = parseSearch({ family, given, birthDate, postcode, gender, fuzzy });
        if (!parsed.ok)
          throw badRequest('the search is not valid: family name and birth date at least', parsed.errors);
        const search = parsed.search;
        const candidates = search.fuzzy
          ? await ports.patientIndex.bornOn(search.born.from, maxCandidates)
          : await ports.patientIndex.byFamilyName(search.family, search.born, maxCandidates);
        if (candidates === 'tooMany') throw tooManyMatches();
        const codes = search.fuzzy
          ? { family: phoneticCodes(family ?? ''), given: phoneticCodes(given ?? '') }
          : { family: [], given: [] };
        const breakGlass = breakGlassReason(request);
        const found = await Promise.all(
          candidates.map(async (candidate) => {
            const score = matchCandidate(search, codes, candidate);
            if (score === null) return [];
            const nhs = candidate.nhsNumber;
            const [enrolled, plan] = await Promise.all([ports.patients.get(nhs), ports.plans.current(nhs)]);
            const decision = readDemographics(request.actor, nhs, { enrolled, plan }, breakGlass);
            if (!decision.ok) return [];
            const { name, birthDate: born, postcode: code } = candidate;
            const match: SearchMatch = { nhsNumber: nhs, name, birthDate: born, postcode: code, score };
            return [{ match, relationship: decision.value.relationship }];
          }),
        );
        const matches = found.flat();
        if (matches.length > maxMatches) throw tooManyMatches();
        // Being found is itself a read of the record: recorded for the patient to see, before the answer.
        await Promise.all(
          matches.map(({ match, relationship }) =>
            auditRead(ports.audit, request, match.nhsNumber, 'found_by_search', relationship),
          ),
        );
        return json(200, { items: matches.map(({ match }) => match).sort(byScore) });
      }),
    },
  });

export const handler = lazyHandler(() =>
  createHandler({
    patientIndex: patientIndex(),
    patients: patients(),
    plans: revisions(),
    audit: accessRecords(),
  }),
);
