// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';
import { OdsCode } from './actor.ts';

/**
 * The plan's sections (docs/domain.md), after the PRSB/EPaCCS core content and ReSPECT v3.
 * Every object is strict: an unknown field is a client error, never silently dropped.
 */
const text = (max = 2000) => z.string().trim().min(1).max(max);
const isoDate = /* @__PURE__ */ z.iso.date();
const Person = /* @__PURE__ */ z
  .strictObject({ name: text(200), role: text(100), registration: text(50).optional() })
  .meta({ id: 'Person' });

export const PlaceCode = /* @__PURE__ */ z
  .enum(['home', 'care_home', 'hospice', 'hospital', 'other'])
  .meta({ id: 'PlaceCode' });
export type PlaceCode = z.infer<typeof PlaceCode>;
export const Place = /* @__PURE__ */ z
  .strictObject({ code: PlaceCode, text: text(500).optional() })
  .meta({ id: 'Place' });

export const PersonalSection = /* @__PURE__ */ z
  .strictObject({
    preferredName: text(200).optional(),
    language: text(100).optional(),
    interpreterNeeded: z.boolean().optional(),
    communicationNeeds: text().optional(),
    accessibilityNeeds: text().optional(),
    disabilities: z.array(text(200)).max(20).optional(),
  })
  .meta({ id: 'PersonalSection' });

export const Contact = /* @__PURE__ */ z
  .strictObject({
    name: text(200),
    relationship: text(100).optional(),
    role: z.enum(['next_of_kin', 'main_carer', 'key_worker', 'professional', 'other']).optional(),
    organisation: OdsCode.optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()-]{6,20}$/, 'must be a telephone number')
      .optional(),
    notes: text(500).optional(),
    carerSupportNeeds: text(500).optional(),
  })
  .meta({ id: 'Contact' });

export const ContactsSection = /* @__PURE__ */ z
  .strictObject({ people: z.array(Contact).max(30) })
  .meta({ id: 'ContactsSection' });

export const AboutMeSection = /* @__PURE__ */ z
  .strictObject({
    whatMattersToMe: text().optional(),
    dailyActivities: text().optional(),
    supportNeeds: text().optional(),
    goalsAndPriorities: text().optional(),
  })
  .meta({ id: 'AboutMeSection' });

export const PreferencesSection = /* @__PURE__ */ z
  .strictObject({
    preferredPlaceOfCare: Place.optional(),
    preferredPlaceOfDeath: Place.optional(),
    afterDeathWishes: z
      .strictObject({
        organDonation: text(500).optional(),
        faith: text(500).optional(),
        other: text().optional(),
      })
      .optional(),
    homeAccess: text(500)
      .optional()
      .meta({ description: 'Key safe and access: shown only in the crisis summary' }),
  })
  .meta({ id: 'PreferencesSection' });

export const LegalSection = /* @__PURE__ */ z
  .strictObject({
    lastingPowerOfAttorney: z
      .strictObject({
        exists: z.boolean(),
        attorney: text(200).optional(),
        contact: text(200).optional(),
        registered: z.boolean().optional(),
      })
      .optional(),
    advanceDecisionToRefuseTreatment: z
      .strictObject({ exists: z.boolean(), location: text(500).optional() })
      .optional(),
    advanceStatement: text().optional(),
    otherDocuments: text(1000).optional(),
  })
  .meta({ id: 'LegalSection' });

export const AnticipatoryMedicines = /* @__PURE__ */ z
  .strictObject({ prescribed: z.boolean(), location: text(500).optional(), details: text().optional() })
  .meta({ id: 'AnticipatoryMedicines', description: '"Just in case" medicines: prescribed? where kept?' });

export const ClinicalSection = /* @__PURE__ */ z
  .strictObject({
    diagnoses: z
      .array(
        z.strictObject({
          description: text(500),
          primary: z.boolean().optional(),
          code: text(20).optional(),
        }),
      )
      .max(30)
      .optional(),
    allergies: z
      .array(z.strictObject({ substance: text(200), reaction: text(500).optional() }))
      .max(30)
      .optional(),
    prognosis: z
      .strictObject({
        text: text().optional(),
        category: z.enum(['years', 'months', 'weeks', 'days']).optional(),
        date: isoDate.optional(),
        assessedBy: text(200).optional(),
        awareness: text(500).optional(),
      })
      .optional(),
    functionalStatus: text(500).optional(),
    anticipatoryMedicines: AnticipatoryMedicines.optional(),
  })
  .meta({ id: 'ClinicalSection' });

export const CprDecision = /* @__PURE__ */ z
  .enum(['dnacpr', 'for_cpr', 'not_discussed'])
  .meta({ id: 'CprDecision' });

export const CprSection = /* @__PURE__ */ z
  .strictObject({
    decision: CprDecision,
    decisionDate: isoDate.optional(),
    decidedBy: Person.optional(),
    endorsedBy: Person.optional(),
    mentalCapacity: z.enum(['has_capacity', 'lacks_capacity', 'not_assessed']).optional(),
    discussedWithPatient: z.boolean().optional(),
    notDiscussedReason: text(500).optional(),
    peopleInvolved: z.array(text(200)).max(20).optional(),
    peopleMadeAware: z.array(text(200)).max(20).optional(),
    formLocation: text(500).optional(),
    reviewDate: isoDate.optional(),
  })
  // A DNACPR decision that does not say who made it and when cannot be relied on in a crisis.
  .refine((cpr) => cpr.decision !== 'dnacpr' || (cpr.decisionDate && cpr.decidedBy), {
    message: 'a DNACPR decision needs decisionDate and decidedBy',
    path: ['decidedBy'],
  })
  .refine((cpr) => cpr.discussedWithPatient !== false || cpr.notDiscussedReason, {
    message: 'say why the decision was not discussed with the patient',
    path: ['notDiscussedReason'],
  })
  .meta({ id: 'CprSection' });

export const TreatmentSection = /* @__PURE__ */ z
  .strictObject({
    ceiling: z.enum(['full_escalation', 'selective', 'comfort']),
    carePriority: z
      .number()
      .int()
      .min(1)
      .max(5)
      .optional()
      .meta({ description: 'ReSPECT scale: 1 prioritise sustaining life ... 5 prioritise comfort' }),
    recommendations: z.array(text(500)).max(20).optional(),
  })
  .meta({ id: 'TreatmentSection' });

export const ConsentSection = /* @__PURE__ */ z
  .strictObject({
    status: z.enum(['given', 'best_interests', 'withdrawn']),
    date: isoDate,
    recordedBy: text(200).optional(),
  })
  .meta({ id: 'ConsentSection' });

export const ReviewSection = /* @__PURE__ */ z.strictObject({ date: isoDate }).meta({ id: 'ReviewSection' });

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
export const SectionName = /* @__PURE__ */ z.enum(sectionNames).meta({ id: 'SectionName' });
export type SectionName = z.infer<typeof SectionName>;

/** Some or all sections: each one given replaces that section whole. */
export const Sections = /* @__PURE__ */ z
  .strictObject({
    personal: PersonalSection.optional(),
    contacts: ContactsSection.optional(),
    aboutMe: AboutMeSection.optional(),
    preferences: PreferencesSection.optional(),
    legal: LegalSection.optional(),
    clinical: ClinicalSection.optional(),
    cpr: CprSection.optional(),
    treatment: TreatmentSection.optional(),
    consent: ConsentSection.optional(),
    review: ReviewSection.optional(),
  })
  .meta({ id: 'Sections' });
export type Sections = z.infer<typeof Sections>;

export const sectionNamesOf = (sections: Sections): SectionName[] =>
  sectionNames.filter((name) => sections[name] !== undefined);
