import { isValidNhsNumber } from '../domain/nhs-number.ts';
import type { Sections } from '../domain/sections.ts';
import { demoHost, demoHostId } from './demo-host.ts';
import { issueDevToken } from './dev-issuer.ts';
import { LocalError, locate, shellWord, signingDataDir, withDataDir } from './instance.ts';

/**
 * `npm run seed`: a handful of realistic demo patients and plans, loaded through the HTTP API of a
 * running `npm start` (so every rule and audit applies). NHS numbers come from the 999 test range.
 * It finds the server as `npm run token` does (local/instance.ts); BASE_URL sends elsewhere.
 */

const testRangeNumbers = function* (): Generator<string> {
  for (let n = 100_000; ; n += 1) {
    for (let check = 0; check <= 9; check += 1) {
      const candidate = `999${String(n).padStart(6, '0')}${check}`;
      if (isValidNhsNumber(candidate)) yield candidate;
    }
  }
};

/** A refused request: the status, so an enrolment already there (409) can be told apart. */
class RequestFailed extends LocalError {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const target = (): { baseUrl: string; dataDir: string } => {
  const { dataDir, server } = locate();
  const baseUrl = process.env.BASE_URL ?? server?.url;
  if (baseUrl === undefined)
    throw new LocalError(
      process.env.DATA_DIR
        ? `no server is running with DATA_DIR=${shellWord(dataDir)}: start one with ${withDataDir(dataDir)}npm start, then seed again`
        : 'no server is running: start one with npm start, then seed again',
    );
  return { baseUrl, dataDir: signingDataDir() };
};

type Call = { method: string; path: string; as: string; body?: unknown; revision?: number };
const caller =
  (baseUrl: string) =>
  async ({ method, path, as, body, revision }: Call): Promise<{ revision: number }> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${as}`,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
        ...(revision !== undefined && { 'If-Match': `"${revision}"` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }).catch((err: Error) => {
      const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.message;
      throw new LocalError(`cannot reach ${baseUrl} (${cause}): is the server still running?`);
    });
    if (!response.ok)
      throw new RequestFailed(
        response.status,
        `${method} ${path}: ${response.status} ${await response.text()}`,
      );
    return { revision: Number((response.headers.get('etag') ?? '0').replaceAll('"', '')) };
  };

const wishesAtHome = (text: string): Sections => ({
  preferences: {
    preferredPlaceOfDeath: { code: 'home', text },
    homeAccess: 'Key safe by the back door; code from the daughter on 07700 900123',
  },
  aboutMe: { whatMattersToMe: 'Being at home with family; no more hospital admissions' },
  contacts: {
    people: [{ name: 'Ruth Byron', relationship: 'daughter', role: 'next_of_kin', phone: '07700 900123' }],
  },
});

const clinicianSections: Sections = {
  clinical: {
    diagnoses: [{ description: 'Metastatic non-small cell lung cancer', primary: true }],
    anticipatoryMedicines: { prescribed: true, location: 'Kitchen drawer, labelled box' },
  },
  cpr: {
    decision: 'dnacpr',
    decisionDate: '2026-11-20',
    decidedBy: { name: 'Dr A Patel', role: 'GP', registration: 'GMC 1234567' },
    mentalCapacity: 'has_capacity',
    discussedWithPatient: true,
    formLocation: 'Purple folder on the fridge',
  },
  treatment: { ceiling: 'comfort', carePriority: 5, recommendations: ['Not for ventilation', 'Not for ICU'] },
  consent: { status: 'given', date: '2026-11-20', recordedBy: 'Dr A Patel' },
  review: { date: '2027-05-20' },
};

const demo = [
  { given: 'Ada', family: 'Lovelace', birthDate: '1941-02-11', postcode: 'SW1A 1AA', story: 'published' },
  { given: 'Alan', family: 'Turing', birthDate: '1938-06-23', postcode: 'M13 9PL', story: 'submitted' },
  { given: 'Grace', family: 'Hopper', birthDate: '1945-12-09', postcode: 'NW1 2DB', story: 'hospiceDraft' },
  { given: 'Tim', family: 'Berners-Lee', birthDate: '1950-06-08', postcode: 'SE1 7PB', story: 'amending' },
  { given: 'Mary', family: 'Seacole', birthDate: '1940-11-23', postcode: 'E1 6AN', story: 'withdrawn' },
] as const;

async function seed(): Promise<void> {
  const { baseUrl, dataDir } = target();
  const call = caller(baseUrl);
  const token = (options: Parameters<typeof issueDevToken>[1]) => issueDevToken(dataDir, options);
  const gp = token({ role: 'gp', org: 'A81001', sub: 'dr.patel', name: 'Dr A Patel' });
  const hospiceNurse = token({
    role: 'hospice_clinician',
    org: 'H12345',
    sub: 'nurse.okafor',
    name: 'Nurse B Okafor',
  });

  await registerDemoHost(call, dataDir, token({ role: 'admin', sub: 'seed' }));

  const numbers = testRangeNumbers();
  // The carer's own NHS number (a carer signs in as themselves): the one after the demo patients'.
  const afterDemo = testRangeNumbers();
  for (let i = 0; i < demo.length; i += 1) afterDemo.next();
  const carerNhs = afterDemo.next().value as string;
  for (const person of demo) {
    const nhs = numbers.next().value as string;
    const patient = token({ role: 'patient', nhs });
    // The hospice enrols its own patient, and so joins the care team that may start the plan.
    const author = person.story === 'hospiceDraft' ? hospiceNurse : patient;
    const enrolled = await call({
      method: 'POST',
      path: '/patients',
      as: person.story === 'hospiceDraft' ? hospiceNurse : gp,
      body: {
        nhsNumber: nhs,
        name: { given: person.given, family: person.family },
        birthDate: person.birthDate,
        postcode: person.postcode,
        gpPractice: 'A81001',
      },
    }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof RequestFailed && error.status === 409) return false;
        throw error;
      },
    );
    if (!enrolled) {
      process.stdout.write(`${nhs}  already there\n`);
      continue;
    }
    const sections =
      person.story === 'hospiceDraft'
        ? { ...wishesAtHome('in the hospice garden room'), ...clinicianSections }
        : wishesAtHome('at home with my cat');
    let { revision } = await call({
      method: 'POST',
      path: `/patients/${nhs}/plan`,
      as: author,
      body: { sections },
    });
    if (person.story !== 'hospiceDraft') {
      ({ revision } = await call({
        method: 'POST',
        path: `/patients/${nhs}/plan/submit`,
        as: patient,
        body: { organisation: 'A81001', clinician: 'dr.patel' },
        revision,
      }));
    }
    if (person.story !== 'submitted' && person.story !== 'hospiceDraft') {
      ({ revision } = await call({
        method: 'PATCH',
        path: `/patients/${nhs}/plan`,
        as: gp,
        body: { sections: clinicianSections },
        revision,
      }));
      ({ revision } = await call({
        method: 'POST',
        path: `/patients/${nhs}/plan/ratify`,
        as: gp,
        body: { note: 'Discussed with patient and daughter' },
        revision,
      }));
    }
    if (person.story === 'amending') {
      ({ revision } = await call({
        method: 'PATCH',
        path: `/patients/${nhs}/plan`,
        as: gp,
        body: { sections: { review: { date: '2027-02-01' } } },
        revision,
      }));
    }
    if (person.story === 'withdrawn') {
      await call({
        method: 'POST',
        path: `/patients/${nhs}/plan/withdraw`,
        as: patient,
        body: { reason: 'I no longer want my plan shared' },
        revision,
      });
    }
    if (person.story === 'published') {
      // Her daughter co-authors the plan by her grant, and the hospice at home team joins her care team.
      await call({
        method: 'POST',
        path: `/patients/${nhs}/carers`,
        as: patient,
        body: {
          carer: { nhsNumber: carerNhs, name: 'Ruth Lovelace' },
          relationship: 'daughter',
          legalBasis: 'patient-consent',
          access: 'co-author',
        },
      });
      await call({
        method: 'PUT',
        path: `/patients/${nhs}/care-team/H12345`,
        as: gp,
        body: { reason: 'hospice at home team now visiting' },
      });
    }
    const carerNote =
      person.story === 'published' ? `  (carer, co-author: --role carer --nhs ${carerNhs})` : '';
    process.stdout.write(`${nhs}  ${person.story}${carerNote}\n`);
  }
  process.stdout.write(`seeded ${demo.length} patients into ${baseUrl}\n`);
}

/** The demo host system (local/demo-host.ts), registered or brought up to date: `npm run launch` signs as it. */
async function registerDemoHost(call: ReturnType<typeof caller>, dataDir: string, as: string): Promise<void> {
  const path = `/host-systems/${demoHostId}`;
  const current = await call({ method: 'GET', path, as }).catch((error: unknown) => {
    if (error instanceof RequestFailed && error.status === 404) return undefined;
    throw error;
  });
  await call({ method: 'PUT', path, as, body: await demoHost(dataDir).entry(), revision: current?.revision });
}

try {
  await seed();
} catch (err) {
  if (!(err instanceof LocalError)) throw err;
  process.stderr.write(`seed: ${err.message}\n`);
  process.exitCode = 1;
}
