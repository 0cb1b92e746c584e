import type { Bundle, Flag, Observation, Patient } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { PatientProfile, PublishedVersion } from '../../../domain/plan.ts';
import { Sections } from '../../../domain/sections.ts';
import { planDocument, type VersionStanding } from '../../../fhir/plan-document.ts';
import { brokenRules, errorsOf, evaluate, validateR4, warningsOf } from '../../support/fhir.ts';
import { arbitraryOf } from '../../support/json-schema-arbitrary.ts';

const NHS = '9434765919';
const patient: PatientProfile = {
  nhsNumber: NHS,
  name: { given: 'Ada', family: 'Byron' },
  birthDate: '1941-02-11',
  postcode: 'SW1A 1AA',
  gpPractice: 'A81001',
};
const versionOf = (sections: Sections, version = 1): PublishedVersion => ({
  version,
  sections,
  ratifiedBy: { id: 'dr.patel', role: 'gp', organisation: 'A81001' },
  ratifiedAt: '2026-11-20T10:00:00.000Z',
});
const documentOf = (sections: Sections, standing: VersionStanding = 'current') =>
  planDocument({ patient, version: versionOf(sections), standing, custodian: 'X26' });
const ofType = <T>(bundle: Bundle, type: string) =>
  (bundle.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === type) as T[];

/** Every plan the section schemas accept (and their refinements: a DNACPR names who and when). */
const anySections = arbitraryOf(z.toJSONSchema(Sections, { io: 'input' }) as never)
  .map((value) => Sections.safeParse(value))
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data as Sections);

describe('a plan version as a FHIR R4 document', () => {
  it('validates against base R4 with no error, and keeps our rules, for any plan the schemas accept', () => {
    fc.assert(
      fc.property(
        anySections,
        fc.constantFrom<VersionStanding>('current', 'superseded', 'withdrawn', 'closed'),
        (sections, standing) => {
          const bundle = documentOf(sections, standing);
          const issues = validateR4(bundle);
          expect(errorsOf(issues)).toEqual([]);
          expect(warningsOf(issues)).toEqual([]);
          expect(brokenRules(bundle)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it('is the same document every time for the same version: ids, identifier and timestamp', () => {
    const sections: Sections = { aboutMe: { whatMattersToMe: 'my garden' } };
    expect(documentOf(sections)).toStrictEqual(documentOf(sections));
    const other = planDocument({
      patient,
      version: versionOf(sections, 2),
      standing: 'current',
      custodian: 'X26',
    });
    expect(other.identifier?.value).not.toBe(documentOf(sections).identifier?.value);
  });

  it('a DNACPR decision is an active Flag, SNOMED CT 450476008, from its date to its review, by who made it', () => {
    const bundle = documentOf({
      cpr: {
        decision: 'dnacpr',
        decisionDate: '2026-11-20',
        reviewDate: '2027-05-20',
        decidedBy: { name: 'Dr A Patel', role: 'GP', registration: 'GMC 1234567' },
      },
    });
    const [flag] = ofType<Flag>(bundle, 'Flag');
    expect(flag).toMatchObject({
      status: 'active',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '450476008' }] },
      period: { start: '2026-11-20', end: '2027-05-20' },
    });
    expect(
      evaluate(bundle, `entry.where(fullUrl = '${flag?.author?.reference}').resource.name.text`),
    ).toEqual(['Dr A Patel']);
    const superseded = ofType<Flag>(documentOf({ cpr: { decision: 'for_cpr' } }, 'superseded'), 'Flag');
    expect(superseded.map((f) => [f.status, f.code.coding?.[0]?.code])).toEqual([['inactive', '450475007']]);
  });

  it('CPR not discussed, or no CPR section: no Flag, and the section says why it is empty', () => {
    const sectionOf = (bundle: Bundle) =>
      evaluate(
        bundle,
        "entry.first().resource.section.where(title = 'CPR decision').emptyReason.coding.code",
      );
    expect(ofType(documentOf({ cpr: { decision: 'not_discussed' } }), 'Flag')).toEqual([]);
    expect(sectionOf(documentOf({ cpr: { decision: 'not_discussed' } }))).toEqual(['notasked']);
    expect(sectionOf(documentOf({}))).toEqual(['unavailable']);
  });

  it('the preferred place of death carries the NHS Data Dictionary death location type code', () => {
    const places = { home: '21', care_home: '40', hospice: '30', hospital: '10', other: '50' } as const;
    for (const [code, dd] of Object.entries(places)) {
      const bundle = documentOf({
        preferences: { preferredPlaceOfDeath: { code: code as keyof typeof places } },
      });
      const [preferred] = ofType<Observation>(bundle, 'Observation');
      expect(preferred?.valueCodeableConcept?.coding?.[0]).toMatchObject({
        system: 'https://www.datadictionary.nhs.uk/attributes/death_location_type_code.html',
        code: dd,
      });
    }
  });

  it('the patient is known by NHS number, with their GP practice by ODS code; the ratifier is the author', () => {
    const bundle = documentOf({});
    const [person] = ofType<Patient>(bundle, 'Patient');
    expect(person?.identifier).toEqual([{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }]);
    expect(
      evaluate(
        bundle,
        "entry.resource.ofType(Organization).identifier.where(system = 'https://fhir.nhs.uk/Id/ods-organization-code').value",
      ),
    ).toEqual(['A81001', 'X26']);
    expect(
      evaluate(
        bundle,
        "entry.resource.ofType(Practitioner).identifier.where(system = 'https://fhir.nhs.uk/Id/sds-user-id').value",
      ),
    ).toEqual(['dr.patel']);
  });

  it('consent to share is coded from SNOMED CT; the ceiling of treatment is the CarePlan; priority its goal', () => {
    const bundle = documentOf({
      consent: { status: 'given', date: '2026-11-20' },
      treatment: { ceiling: 'comfort', carePriority: 5, recommendations: ['Not for ICU'] },
    });
    expect(evaluate(bundle, 'entry.resource.ofType(Consent).category.coding.code')).toEqual(['425691002']);
    expect(evaluate(bundle, 'entry.resource.ofType(CarePlan).category.coding.code')).toEqual([
      '736373009',
      'comfort',
    ]);
    expect(evaluate(bundle, 'entry.resource.ofType(CarePlan).note.text')).toEqual(['Not for ICU']);
    expect(evaluate(bundle, 'entry.resource.ofType(Goal).description.coding.code')).toEqual(['5']);
  });

  it('what a section says in free text is escaped in its narrative', () => {
    const bundle = documentOf({ aboutMe: { whatMattersToMe: '<script>alert("x")</script> & more' } });
    const div = evaluate(bundle, "entry.first().resource.section.where(title = 'About me').text.`div`")[0];
    expect(div).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(div).not.toContain('<script>');
  });

  it('home access is in the document only when the version given has it (the patient’s own reading)', () => {
    const withAccess = JSON.stringify(documentOf({ preferences: { homeAccess: 'key safe 1234' } }));
    expect(withAccess).toContain('key safe 1234');
    expect(JSON.stringify(documentOf({ preferences: {} }))).not.toContain('Home access');
  });
});
