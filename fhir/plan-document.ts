import type {
  AllergyIntolerance,
  Bundle,
  BundleEntry,
  CarePlan,
  CodeableConcept,
  Composition,
  CompositionSection,
  Condition,
  Consent,
  Flag,
  Goal,
  MedicationStatement,
  Observation,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  RelatedPerson,
  Resource,
} from '@medplum/fhirtypes';
import type * as z from 'zod/mini';
import type { ActorRef } from '../domain/actor.ts';
import type { PatientProfile, PublishedVersion } from '../domain/plan.ts';
import { documentCategory, documentType } from '../domain/pointer.ts';
import type { Place as PlaceSchema, Sections } from '../domain/sections.ts';
import {
  carePriorityLabel,
  ceilingLabel,
  coding,
  concept,
  consentCode,
  cprCode,
  deathLocationType,
  placeLabel,
  profile,
  system,
} from './codes.ts';
import { nameUuid } from './ids.ts';

/**
 * One published version of a plan as a FHIR R4 document Bundle (docs/fhir.md, section by section).
 * Pure: the same version, read by the same kind of reader, is the same document, ids and all.
 */

/** How the version stands now: in force, replaced by a later one, or no longer shared. */
export type VersionStanding = 'current' | 'superseded' | 'withdrawn' | 'closed';

export type PlanDocumentInput = {
  patient: PatientProfile;
  /** As this reader may see it (home access only for the patient: domain/views.ts). */
  version: PublishedVersion;
  standing: VersionStanding;
  /** ODS code of the organisation running the service. */
  custodian: string;
};

type Place = z.infer<typeof PlaceSchema>;

const xhtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A section's human-readable text: what a receiving system shows when it renders the document. */
const narrative = (lines: readonly string[]) => ({
  status: 'generated' as const,
  div: `<div xmlns="http://www.w3.org/1999/xhtml"><ul>${lines.map((l) => `<li>${xhtml(l)}</li>`).join('')}</ul></div>`,
});

const yesNo = (value: boolean) => (value ? 'yes' : 'no');
const line = (label: string, value: string | number | boolean | undefined | null): string[] =>
  value === undefined || value === null || value === ''
    ? []
    : [`${label}: ${typeof value === 'boolean' ? yesNo(value) : value}`];

class DocumentBuilder {
  readonly entries: BundleEntry[] = [];
  private readonly scope: string;

  constructor(scope: string) {
    this.scope = scope;
  }

  /** Adds a resource under a key unique within the document; answers the reference to it. */
  add<R extends Resource>(key: string, resource: R): Reference<R> {
    const id = nameUuid(`${this.scope}/${key}`);
    const fullUrl = `urn:uuid:${id}`;
    if (!this.entries.some((e) => e.fullUrl === fullUrl))
      this.entries.push({ fullUrl, resource: { ...resource, id } });
    // The type too: a urn:uuid says nothing of what it names.
    return { reference: fullUrl, type: resource.resourceType };
  }
}

/** The identifier of a version's document: its Bundle's, and its pointer's master identifier. */
export const documentIdentifier = (nhsNumber: string, version: number) => ({
  system: system.rfc3986,
  value: `urn:uuid:${nameUuid(`${nhsNumber}/v${version}/Bundle`)}`,
});

export const planDocument = (input: PlanDocumentInput): Bundle => {
  const { patient: profileOf, version, standing, custodian } = input;
  const nhs = profileOf.nhsNumber;
  const doc = new DocumentBuilder(`${nhs}/v${version.version}`);
  const s: Sections = version.sections;
  const inForce = standing === 'current';

  const organisation = (ods: string): Reference<Organization> =>
    doc.add(`Organization/${ods}`, {
      resourceType: 'Organization',
      meta: { profile: [profile.Organization] },
      identifier: [{ system: system.odsOrganisation, value: ods }],
    });

  // The Composition comes first in a document; its entry is filled in once the rest is known.
  const compositionIndex = doc.entries.length;
  doc.entries.push({});

  const preferredName = s.personal?.preferredName;
  const patient = doc.add<Patient>('Patient', {
    resourceType: 'Patient',
    meta: { profile: [profile.Patient] },
    identifier: [{ system: system.nhsNumber, value: nhs }],
    name: [
      { use: 'official', family: profileOf.name.family, given: [profileOf.name.given] },
      ...(preferredName ? [{ use: 'usual' as const, text: preferredName }] : []),
    ],
    birthDate: profileOf.birthDate,
    address: [{ postalCode: profileOf.postcode }],
    generalPractitioner: [organisation(profileOf.gpPractice)],
    ...(s.personal?.language && {
      communication: [{ language: { text: s.personal.language }, preferred: true }],
    }),
  });
  const subject = { ...patient, display: `NHS number ${nhs}` };

  const staffRole = (key: string, who: ActorRef): Reference<PractitionerRole> => {
    const practitioner = doc.add<Practitioner>(`Practitioner/${key}`, {
      resourceType: 'Practitioner',
      meta: { profile: [profile.Practitioner] },
      identifier: [{ system: system.sdsUser, value: who.id }],
    });
    return doc.add<PractitionerRole>(`PractitionerRole/${key}`, {
      resourceType: 'PractitionerRole',
      meta: { profile: [profile.PractitionerRole] },
      practitioner,
      ...(who.organisation && { organization: organisation(who.organisation) }),
      code: [{ text: who.role }],
    });
  };
  const ratifier = staffRole('ratifier', version.ratifiedBy);

  /** A clinician named in the plan (who made the CPR decision), known by name and registration only. */
  const namedClinician = (key: string, person: { name: string; role: string; registration?: string }) =>
    doc.add<Practitioner>(`Practitioner/${key}`, {
      resourceType: 'Practitioner',
      meta: { profile: [profile.Practitioner] },
      name: [{ text: person.name }],
      qualification: [
        {
          code: { text: person.role },
          ...(person.registration && { identifier: [{ value: person.registration }] }),
        },
      ],
    });

  /** A fact of the plan recorded as an Observation: its label is its code's text. */
  const observation = (key: string, label: string, value: Partial<Observation>): Reference<Observation> =>
    doc.add<Observation>(`Observation/${key}`, {
      resourceType: 'Observation',
      meta: { profile: [profile.Observation] },
      status: 'final',
      code: { text: label },
      subject,
      effectiveDateTime: version.ratifiedAt,
      ...value,
    });
  const textObservations = (
    key: string,
    facts: readonly [string, string, string | undefined][],
  ): Reference<Observation>[] =>
    facts.flatMap(([name, label, value]) =>
      value === undefined || value === ''
        ? []
        : [observation(`${key}/${name}`, label, { valueString: value })],
    );

  const placeConcept = (place: Place, deathPlace: boolean): CodeableConcept =>
    deathPlace
      ? concept(
          coding(
            system.deathLocationType,
            deathLocationType[place.code].code,
            deathLocationType[place.code].display,
          ),
          place.text ?? placeLabel[place.code],
        )
      : concept(
          coding(system.placeOfCare, place.code, placeLabel[place.code]),
          place.text ?? placeLabel[place.code],
        );

  const sections: CompositionSection[] = [];
  const section = (
    title: string,
    entries: Reference[],
    lines: string[],
    empty?: { reason: 'notasked' | 'unavailable'; text: string },
  ) => {
    if (entries.length > 0 || lines.length > 0) {
      sections.push({ title, text: narrative(lines), ...(entries.length > 0 && { entry: entries }) });
    } else if (empty) {
      sections.push({
        title,
        text: narrative([empty.text]),
        emptyReason: concept(coding(system.emptyReason, empty.reason)),
      });
    }
  };

  // About me: the personal section and what matters.
  const personal = s.personal;
  const aboutMe = s.aboutMe;
  section(
    'About me',
    [
      ...(personal?.interpreterNeeded !== undefined
        ? [
            observation('personal/interpreterNeeded', 'Interpreter needed', {
              valueBoolean: personal.interpreterNeeded,
            }),
          ]
        : []),
      ...textObservations('personal', [
        ['communicationNeeds', 'Communication needs', personal?.communicationNeeds],
        ['accessibilityNeeds', 'Accessibility needs', personal?.accessibilityNeeds],
        ['disabilities', 'Disabilities', personal?.disabilities?.join('; ')],
      ]),
      ...textObservations('aboutMe', [
        ['whatMattersToMe', 'What matters to me', aboutMe?.whatMattersToMe],
        ['dailyActivities', 'Daily activities', aboutMe?.dailyActivities],
        ['supportNeeds', 'Support needs', aboutMe?.supportNeeds],
        ['goalsAndPriorities', 'Goals and priorities', aboutMe?.goalsAndPriorities],
      ]),
    ],
    [
      ...line('Preferred name', personal?.preferredName),
      ...line('Language', personal?.language),
      ...line('Interpreter needed', personal?.interpreterNeeded),
      ...line('Communication needs', personal?.communicationNeeds),
      ...line('Accessibility needs', personal?.accessibilityNeeds),
      ...line('Disabilities', personal?.disabilities?.join('; ')),
      ...line('What matters to me', aboutMe?.whatMattersToMe),
      ...line('Daily activities', aboutMe?.dailyActivities),
      ...line('Support needs', aboutMe?.supportNeeds),
      ...line('Goals and priorities', aboutMe?.goalsAndPriorities),
    ],
  );

  // Contacts: each a RelatedPerson.
  const people = s.contacts?.people ?? [];
  const contactRole = {
    next_of_kin: coding(system.contactRole, 'N', 'Next-of-Kin'),
    other: coding(system.contactRole, 'O', 'Other'),
  } as const;
  section(
    'Key contacts',
    people.map((person, i) => {
      const role =
        person.role && person.role in contactRole
          ? contactRole[person.role as keyof typeof contactRole]
          : undefined;
      return doc.add<RelatedPerson>(`RelatedPerson/contact/${i}`, {
        resourceType: 'RelatedPerson',
        meta: { profile: [profile.RelatedPerson] },
        patient,
        name: [{ text: person.name }],
        relationship: [
          ...(person.relationship ? [{ text: person.relationship }] : []),
          ...(person.role
            ? [role ? concept(role, person.role.replace('_', ' ')) : { text: person.role.replace('_', ' ') }]
            : []),
        ],
        ...(person.phone && { telecom: [{ system: 'phone' as const, value: person.phone }] }),
      });
    }),
    people.map((p) =>
      [
        p.name,
        p.relationship,
        p.role?.replace('_', ' '),
        p.organisation && `organisation ${p.organisation}`,
        p.phone,
        p.notes,
        p.carerSupportNeeds && `carer's support needs: ${p.carerSupportNeeds}`,
      ]
        .filter(Boolean)
        .join(', '),
    ),
  );

  // Preferences: the preferred places with their codes, after-death wishes, home access.
  const preferences = s.preferences;
  const wishes = preferences?.afterDeathWishes;
  section(
    'Preferences',
    [
      ...(preferences?.preferredPlaceOfDeath
        ? [
            observation('preferences/preferredPlaceOfDeath', 'Preferred place of death', {
              valueCodeableConcept: placeConcept(preferences.preferredPlaceOfDeath, true),
            }),
          ]
        : []),
      ...(preferences?.preferredPlaceOfCare
        ? [
            observation('preferences/preferredPlaceOfCare', 'Preferred place of care', {
              valueCodeableConcept: placeConcept(preferences.preferredPlaceOfCare, false),
            }),
          ]
        : []),
      ...textObservations('preferences', [
        ['organDonation', 'Organ and tissue donation wishes', wishes?.organDonation],
        ['faith', 'Faith and spiritual wishes after death', wishes?.faith],
        ['afterDeathOther', 'Other wishes after death', wishes?.other],
        ['homeAccess', 'Home access (key safe)', preferences?.homeAccess],
      ]),
    ],
    [
      ...line(
        'Preferred place of death',
        preferences?.preferredPlaceOfDeath &&
          [placeLabel[preferences.preferredPlaceOfDeath.code], preferences.preferredPlaceOfDeath.text]
            .filter(Boolean)
            .join(': '),
      ),
      ...line(
        'Preferred place of care',
        preferences?.preferredPlaceOfCare &&
          [placeLabel[preferences.preferredPlaceOfCare.code], preferences.preferredPlaceOfCare.text]
            .filter(Boolean)
            .join(': '),
      ),
      ...line('Organ and tissue donation', wishes?.organDonation),
      ...line('Faith and spiritual wishes', wishes?.faith),
      ...line('Other wishes after death', wishes?.other),
      ...line('Home access', preferences?.homeAccess),
    ],
  );

  // Legal: the attorney, an advance decision to refuse treatment, other documents.
  const legal = s.legal;
  const lpa = legal?.lastingPowerOfAttorney;
  const adrt = legal?.advanceDecisionToRefuseTreatment;
  section(
    'Legal',
    [
      ...(lpa?.exists && lpa.attorney
        ? [
            doc.add<RelatedPerson>('RelatedPerson/attorney', {
              resourceType: 'RelatedPerson',
              meta: { profile: [profile.RelatedPerson] },
              patient,
              name: [{ text: lpa.attorney }],
              relationship: [concept(coding(system.roleCode, 'HPOWATT', 'healthcare power of attorney'))],
              ...(lpa.contact && { telecom: [{ system: 'other' as const, value: lpa.contact }] }),
            }),
          ]
        : []),
      ...(adrt?.exists
        ? [
            doc.add<Consent>('Consent/adrt', {
              resourceType: 'Consent',
              status: 'active',
              scope: concept(coding(system.consentScope, 'adr', 'Advanced Care Directive')),
              category: [concept(coding(system.consentCategory, 'acd', 'Advance Directive'))],
              patient,
              policyRule: { text: 'Advance decision to refuse treatment (Mental Capacity Act 2005)' },
              ...(adrt.location && { sourceAttachment: { title: `Kept at: ${adrt.location}` } }),
            }),
          ]
        : []),
      ...textObservations('legal', [
        ['advanceStatement', 'Advance statement', legal?.advanceStatement],
        ['otherDocuments', 'Other documents', legal?.otherDocuments],
      ]),
    ],
    [
      ...line('Lasting power of attorney', lpa?.exists),
      ...line('Attorney', lpa?.attorney),
      ...line("Attorney's contact", lpa?.contact),
      ...line('Attorney registered', lpa?.registered),
      ...line('Advance decision to refuse treatment', adrt?.exists),
      ...line('Kept at', adrt?.location),
      ...line('Advance statement', legal?.advanceStatement),
      ...line('Other documents', legal?.otherDocuments),
    ],
  );

  // Clinical: diagnoses, allergies, prognosis, function, anticipatory medicines.
  const clinical = s.clinical;
  const conditions = (clinical?.diagnoses ?? []).map((d, i) =>
    doc.add<Condition>(`Condition/${i}`, {
      resourceType: 'Condition',
      meta: { profile: [profile.Condition] },
      clinicalStatus: concept(coding(system.conditionClinical, 'active', 'Active')),
      category: [concept(coding(system.conditionCategory, 'problem-list-item', 'Problem List Item'))],
      code: {
        ...(d.code && /^\d{6,18}$/.test(d.code) && { coding: [coding(system.snomedCt, d.code)] }),
        text: d.description,
      },
      subject,
      ...(d.primary && { note: [{ text: 'Primary diagnosis' }] }),
    }),
  );
  const medicines = clinical?.anticipatoryMedicines;
  const prognosis = clinical?.prognosis;
  section(
    'Clinical',
    [
      ...conditions,
      ...(clinical?.allergies ?? []).map((a, i) =>
        doc.add<AllergyIntolerance>(`AllergyIntolerance/${i}`, {
          resourceType: 'AllergyIntolerance',
          meta: { profile: [profile.AllergyIntolerance] },
          clinicalStatus: concept(coding(system.allergyClinical, 'active', 'Active')),
          code: { text: a.substance },
          patient,
          ...(a.reaction && { reaction: [{ manifestation: [{ text: a.reaction }] }] }),
        }),
      ),
      ...(prognosis && (prognosis.category || prognosis.text)
        ? [
            observation('clinical/prognosis', 'Prognosis', {
              valueString: [prognosis.category, prognosis.text].filter(Boolean).join(': '),
              ...(prognosis.date && { effectiveDateTime: prognosis.date }),
            }),
          ]
        : []),
      ...textObservations('clinical', [
        ['functionalStatus', 'Functional status', clinical?.functionalStatus],
      ]),
      ...(medicines
        ? [
            doc.add<MedicationStatement>('MedicationStatement/anticipatory', {
              resourceType: 'MedicationStatement',
              meta: { profile: [profile.MedicationStatement] },
              status: medicines.prescribed ? 'active' : 'not-taken',
              medicationCodeableConcept: { text: 'Anticipatory ("just in case") medicines' },
              subject,
              dateAsserted: version.ratifiedAt,
              ...((medicines.location || medicines.details) && {
                note: [
                  ...(medicines.location ? [{ text: `Kept at: ${medicines.location}` }] : []),
                  ...(medicines.details ? [{ text: medicines.details }] : []),
                ],
              }),
            }),
          ]
        : []),
    ],
    [
      ...(clinical?.diagnoses ?? []).map(
        (d) => `Diagnosis${d.primary ? ' (primary)' : ''}: ${d.description}`,
      ),
      ...(clinical?.allergies ?? []).map(
        (a) => `Allergy: ${a.substance}${a.reaction ? ` (${a.reaction})` : ''}`,
      ),
      ...line('Prognosis', prognosis && [prognosis.category, prognosis.text].filter(Boolean).join(': ')),
      ...line('Prognosis assessed on', prognosis?.date),
      ...line('Prognosis assessed by', prognosis?.assessedBy),
      ...line('Who is aware of the prognosis', prognosis?.awareness),
      ...line('Functional status', clinical?.functionalStatus),
      ...line('Anticipatory medicines prescribed', medicines?.prescribed),
      ...line('Kept at', medicines?.location),
      ...line('Details', medicines?.details),
    ],
  );

  // CPR: the decision as a Flag, in force from its date until its review.
  const cpr = s.cpr;
  const cprDecision = cpr && cpr.decision !== 'not_discussed' ? cprCode[cpr.decision] : undefined;
  section(
    'CPR decision',
    cpr && cprDecision
      ? [
          doc.add<Flag>('Flag/cpr', {
            resourceType: 'Flag',
            meta: { profile: [profile.Flag] },
            status: inForce ? 'active' : 'inactive',
            category: [concept(coding(system.flagCategory, 'advance-directive', 'Advance Directive'))],
            code: concept(
              coding(system.snomedCt, cprDecision.code, cprDecision.display),
              cprDecision.display,
            ),
            subject,
            ...((cpr.decisionDate || cpr.reviewDate) && {
              period: {
                ...(cpr.decisionDate && { start: cpr.decisionDate }),
                ...(cpr.reviewDate && { end: cpr.reviewDate }),
              },
            }),
            ...(cpr.decidedBy && { author: namedClinician('cprDecidedBy', cpr.decidedBy) }),
          }),
        ]
      : [],
    cpr && cprDecision
      ? [
          cprDecision.display,
          ...line('Decided on', cpr.decisionDate),
          ...line('Decided by', cpr.decidedBy && `${cpr.decidedBy.name} (${cpr.decidedBy.role})`),
          ...line('Endorsed by', cpr.endorsedBy && `${cpr.endorsedBy.name} (${cpr.endorsedBy.role})`),
          ...line('Mental capacity', cpr.mentalCapacity?.replaceAll('_', ' ')),
          ...line('Discussed with the patient', cpr.discussedWithPatient),
          ...line('Why not discussed', cpr.notDiscussedReason),
          ...line('People involved', cpr.peopleInvolved?.join('; ')),
          ...line('People made aware', cpr.peopleMadeAware?.join('; ')),
          ...line('Form kept at', cpr.formLocation),
          ...line('Review by', cpr.reviewDate),
        ]
      : [],
    cpr
      ? { reason: 'notasked', text: 'CPR has not been discussed: no decision is recorded.' }
      : { reason: 'unavailable', text: 'No CPR decision is recorded in this plan.' },
  );

  // Treatment: the ceiling and the ReSPECT priority, as the care plan.
  const treatment = s.treatment;
  const goal = treatment?.carePriority
    ? doc.add<Goal>('Goal/carePriority', {
        resourceType: 'Goal',
        lifecycleStatus: inForce ? 'active' : 'cancelled',
        description: concept(
          coding(
            system.respectCarePriority,
            String(treatment.carePriority),
            carePriorityLabel(treatment.carePriority),
          ),
          carePriorityLabel(treatment.carePriority),
        ),
        subject,
      })
    : undefined;
  const carePlan = doc.add<CarePlan>('CarePlan', {
    resourceType: 'CarePlan',
    status: { current: 'active', superseded: 'revoked', withdrawn: 'revoked', closed: 'completed' }[
      standing
    ] as CarePlan['status'],
    intent: 'plan',
    category: [
      concept(coding(documentType.system, documentType.code, documentType.display)),
      ...(treatment
        ? [
            concept(
              coding(system.ceilingOfTreatment, treatment.ceiling, ceilingLabel[treatment.ceiling]),
              ceilingLabel[treatment.ceiling],
            ),
          ]
        : []),
    ],
    title: 'Urgent care plan',
    ...(treatment && { description: `Ceiling of treatment: ${ceilingLabel[treatment.ceiling]}` }),
    subject,
    created: version.ratifiedAt,
    ...(s.review && { period: { end: s.review.date } }),
    author: ratifier,
    ...(conditions.length > 0 && { addresses: conditions }),
    ...(goal && { goal: [goal] }),
    ...(treatment?.recommendations && { note: treatment.recommendations.map((text) => ({ text })) }),
  });
  section(
    'Ceiling of treatment',
    treatment ? [carePlan, ...(goal ? [goal] : [])] : [],
    treatment
      ? [
          ceilingLabel[treatment.ceiling],
          ...line(
            'ReSPECT care priority',
            treatment.carePriority && carePriorityLabel(treatment.carePriority),
          ),
          ...(treatment.recommendations ?? []).map((r) => `Recommendation: ${r}`),
        ]
      : [],
    { reason: 'unavailable', text: 'No ceiling of treatment is recorded in this plan.' },
  );

  // Consent to share.
  const consent = s.consent;
  section(
    'Consent to share',
    consent
      ? [
          doc.add<Consent>('Consent/share', {
            resourceType: 'Consent',
            status: consent.status === 'withdrawn' ? 'inactive' : 'active',
            scope: concept(coding(system.consentScope, 'patient-privacy', 'Privacy Consent')),
            category: [
              consent.status === 'best_interests'
                ? { text: 'Shared in the patient’s best interests (they lack capacity to consent)' }
                : concept(
                    coding(
                      system.snomedCt,
                      consentCode[consent.status].code,
                      consentCode[consent.status].display,
                    ),
                    consentCode[consent.status].display,
                  ),
            ],
            patient,
            dateTime: consent.date,
            policyRule: concept(coding(system.actCode, consent.status === 'withdrawn' ? 'OPTOUT' : 'OPTIN')),
          }),
        ]
      : [],
    consent
      ? [
          `Consent to share: ${consent.status.replace('_', ' ')}`,
          ...line('Date', consent.date),
          ...line('Recorded by', consent.recordedBy),
        ]
      : [],
  );

  if (s.review) section('Review', [], [`Review by ${s.review.date}`]);

  const composition: Composition = {
    resourceType: 'Composition',
    meta: { profile: [profile.Composition] },
    identifier: {
      system: system.rfc3986,
      value: `urn:uuid:${nameUuid(`${nhs}/v${version.version}/Composition`)}`,
    },
    status: 'final',
    type: concept(coding(documentType.system, documentType.code, documentType.display)),
    category: [concept(coding(documentCategory.system, documentCategory.code, documentCategory.display))],
    subject,
    date: version.ratifiedAt,
    author: [ratifier],
    title: `Urgent care plan, version ${version.version}`,
    attester: [{ mode: 'legal', time: version.ratifiedAt, party: ratifier }],
    custodian: organisation(custodian),
    section: sections,
  };
  const id = nameUuid(`${nhs}/v${version.version}/Composition`);
  doc.entries[compositionIndex] = { fullUrl: `urn:uuid:${id}`, resource: { ...composition, id } };

  return {
    resourceType: 'Bundle',
    identifier: documentIdentifier(nhs, version.version),
    type: 'document',
    timestamp: version.ratifiedAt,
    entry: doc.entries,
  };
};
