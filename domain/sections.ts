// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { OdsCode } from './actor.ts';

/**
 * The plan's sections (docs/domain.md), after the PRSB/EPaCCS core content and ReSPECT v3.
 * Every object is strict: an unknown field is a client error, never silently dropped.
 */
const text = (max = 2000) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const optionalText = (max?: number) => z.optional(text(max));
const isoDate = /* @__PURE__ */ z.iso.date();
const Person = /* @__PURE__ */ z
  .strictObject({ name: text(200), role: text(100), registration: optionalText(50) })
  .register(z.globalRegistry, { id: 'Person' });

export const PlaceCode = /* @__PURE__ */ z
  .enum(['home', 'care_home', 'hospice', 'hospital', 'other'])
  .register(z.globalRegistry, { id: 'PlaceCode' });
export type PlaceCode = z.infer<typeof PlaceCode>;
export const Place = /* @__PURE__ */ z
  .strictObject({ code: PlaceCode, text: optionalText(500) })
  .register(z.globalRegistry, { id: 'Place' });

export const PersonalSection = /* @__PURE__ */ z
  .strictObject({
    preferredName: optionalText(200),
    language: optionalText(100),
    interpreterNeeded: z.optional(z.boolean()),
    communicationNeeds: optionalText(),
    accessibilityNeeds: optionalText(),
    disabilities: z.optional(z.array(text(200)).check(z.maxLength(20))),
  })
  .register(z.globalRegistry, { id: 'PersonalSection' });

export const Contact = /* @__PURE__ */ z
  .strictObject({
    name: text(200),
    relationship: optionalText(100),
    role: z.optional(z.enum(['next_of_kin', 'main_carer', 'key_worker', 'professional', 'other'])),
    organisation: z.optional(OdsCode),
    phone: z.optional(z.string().check(z.regex(/^\+?[0-9 ()-]{6,20}$/, 'must be a telephone number'))),
    notes: optionalText(500),
    carerSupportNeeds: optionalText(500),
  })
  .register(z.globalRegistry, { id: 'Contact' });

export const ContactsSection = /* @__PURE__ */ z
  .strictObject({ people: z.array(Contact).check(z.maxLength(30)) })
  .register(z.globalRegistry, { id: 'ContactsSection' });

export const AboutMeSection = /* @__PURE__ */ z
  .strictObject({
    whatMattersToMe: optionalText(),
    dailyActivities: optionalText(),
    supportNeeds: optionalText(),
    goalsAndPriorities: optionalText(),
  })
  .register(z.globalRegistry, { id: 'AboutMeSection' });

export const PreferencesSection = /* @__PURE__ */ z
  .strictObject({
    preferredPlaceOfCare: z.optional(Place),
    preferredPlaceOfDeath: z.optional(Place),
    afterDeathWishes: z.optional(
      z.strictObject({
        organDonation: optionalText(500),
        faith: optionalText(500),
        other: optionalText(),
      }),
    ),
    homeAccess: optionalText(500).register(z.globalRegistry, {
      description: 'Key safe and access: shown only in the crisis summary',
    }),
  })
  .register(z.globalRegistry, { id: 'PreferencesSection' });

export const LegalSection = /* @__PURE__ */ z
  .strictObject({
    lastingPowerOfAttorney: z.optional(
      z.strictObject({
        exists: z.boolean(),
        attorney: optionalText(200),
        contact: optionalText(200),
        registered: z.optional(z.boolean()),
      }),
    ),
    advanceDecisionToRefuseTreatment: z.optional(
      z.strictObject({ exists: z.boolean(), location: optionalText(500) }),
    ),
    advanceStatement: optionalText(),
    otherDocuments: optionalText(1000),
  })
  .register(z.globalRegistry, { id: 'LegalSection' });

export const AnticipatoryMedicines = /* @__PURE__ */ z
  .strictObject({ prescribed: z.boolean(), location: optionalText(500), details: optionalText() })
  .register(z.globalRegistry, {
    id: 'AnticipatoryMedicines',
    description: '"Just in case" medicines: prescribed? where kept?',
  });

export const ClinicalSection = /* @__PURE__ */ z
  .strictObject({
    diagnoses: z.optional(
      z
        .array(
          z.strictObject({
            description: text(500),
            primary: z.optional(z.boolean()),
            code: optionalText(20),
          }),
        )
        .check(z.maxLength(30)),
    ),
    allergies: z.optional(
      z.array(z.strictObject({ substance: text(200), reaction: optionalText(500) })).check(z.maxLength(30)),
    ),
    prognosis: z.optional(
      z.strictObject({
        text: optionalText(),
        category: z.optional(z.enum(['years', 'months', 'weeks', 'days'])),
        date: z.optional(isoDate),
        assessedBy: optionalText(200),
        awareness: optionalText(500),
      }),
    ),
    functionalStatus: optionalText(500),
    anticipatoryMedicines: z.optional(AnticipatoryMedicines),
  })
  .register(z.globalRegistry, { id: 'ClinicalSection' });

export const CprDecision = /* @__PURE__ */ z
  .enum(['dnacpr', 'for_cpr', 'not_discussed'])
  .register(z.globalRegistry, { id: 'CprDecision' });

export const CprSection = /* @__PURE__ */ z
  .strictObject({
    decision: CprDecision,
    decisionDate: z.optional(isoDate),
    decidedBy: z.optional(Person),
    endorsedBy: z.optional(Person),
    mentalCapacity: z.optional(z.enum(['has_capacity', 'lacks_capacity', 'not_assessed'])),
    discussedWithPatient: z.optional(z.boolean()),
    notDiscussedReason: optionalText(500),
    peopleInvolved: z.optional(z.array(text(200)).check(z.maxLength(20))),
    peopleMadeAware: z.optional(z.array(text(200)).check(z.maxLength(20))),
    formLocation: optionalText(500),
    reviewDate: z.optional(isoDate),
  })
  .check(
    // A DNACPR decision that does not say who made it and when cannot be relied on in a crisis.
    z.refine((cpr) => cpr.decision !== 'dnacpr' || (cpr.decisionDate && cpr.decidedBy), {
      message: 'a DNACPR decision needs decisionDate and decidedBy',
      path: ['decidedBy'],
    }),
    z.refine((cpr) => cpr.discussedWithPatient !== false || cpr.notDiscussedReason, {
      message: 'say why the decision was not discussed with the patient',
      path: ['notDiscussedReason'],
    }),
  )
  .register(z.globalRegistry, { id: 'CprSection' });

export const TreatmentSection = /* @__PURE__ */ z
  .strictObject({
    ceiling: z.enum(['full_escalation', 'selective', 'comfort']),
    carePriority: z
      .optional(z.number().check(z.int(), z.minimum(1), z.maximum(5)))
      .register(z.globalRegistry, {
        description: 'ReSPECT scale: 1 prioritise sustaining life ... 5 prioritise comfort',
      }),
    recommendations: z.optional(z.array(text(500)).check(z.maxLength(20))),
  })
  .register(z.globalRegistry, { id: 'TreatmentSection' });

export const ConsentSection = /* @__PURE__ */ z
  .strictObject({
    status: z.enum(['given', 'best_interests', 'withdrawn']),
    date: isoDate,
    recordedBy: optionalText(200),
  })
  .register(z.globalRegistry, { id: 'ConsentSection' });

export const ReviewSection = /* @__PURE__ */ z
  .strictObject({ date: isoDate })
  .register(z.globalRegistry, { id: 'ReviewSection' });

export const sectionSchemas = {
  personal: PersonalSection,
  contacts: ContactsSection,
  aboutMe: AboutMeSection,
  preferences: PreferencesSection,
  legal: LegalSection,
  clinical: ClinicalSection,
  cpr: CprSection,
  treatment: TreatmentSection,
  consent: ConsentSection,
  review: ReviewSection,
} as const;

/** The section names, in the order docs/domain.md lists them. */
export const sectionNames = [
  'personal',
  'contacts',
  'aboutMe',
  'preferences',
  'legal',
  'clinical',
  'cpr',
  'treatment',
  'consent',
  'review',
] as const satisfies readonly (keyof typeof sectionSchemas)[];
export const SectionName = /* @__PURE__ */ z
  .enum(sectionNames)
  .register(z.globalRegistry, { id: 'SectionName' });
export type SectionName = z.infer<typeof SectionName>;

/** Some or all sections: each one given replaces that section whole. */
export const Sections = /* @__PURE__ */ z
  .strictObject({
    personal: z.optional(PersonalSection),
    contacts: z.optional(ContactsSection),
    aboutMe: z.optional(AboutMeSection),
    preferences: z.optional(PreferencesSection),
    legal: z.optional(LegalSection),
    clinical: z.optional(ClinicalSection),
    cpr: z.optional(CprSection),
    treatment: z.optional(TreatmentSection),
    consent: z.optional(ConsentSection),
    review: z.optional(ReviewSection),
  })
  .register(z.globalRegistry, { id: 'Sections' });
export type Sections = z.infer<typeof Sections>;

export const sectionNamesOf = (sections: Sections): SectionName[] =>
  sectionNames.filter((name) => sections[name] !== undefined);
