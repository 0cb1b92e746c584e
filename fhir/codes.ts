import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import { snomedCt } from '../domain/pointer.ts';
import type { PlaceCode } from '../domain/sections.ts';

/** The code systems and identifiers of the FHIR document, as docs/fhir.md lists them. */
export const system = {
  snomedCt,
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  odsOrganisation: 'https://fhir.nhs.uk/Id/ods-organization-code',
  sdsUser: 'https://fhir.nhs.uk/Id/sds-user-id',
  /** NHS England publishes no FHIR CodeSystem for it: the Data Dictionary's own page names it. */
  deathLocationType: 'https://www.datadictionary.nhs.uk/attributes/death_location_type_code.html',
  flagCategory: 'http://terminology.hl7.org/CodeSystem/flag-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  consentCategory: 'http://terminology.hl7.org/CodeSystem/consentcategorycodes',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  contactRole: 'http://terminology.hl7.org/CodeSystem/v2-0131',
  emptyReason: 'http://terminology.hl7.org/CodeSystem/list-empty-reason',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  /** This service's own codes where no national one fits (the plan's enumerations). */
  ceilingOfTreatment: 'urn:urgent-care-plans:fhir:ceiling-of-treatment',
  respectCarePriority: 'urn:urgent-care-plans:fhir:respect-care-priority',
  placeOfCare: 'urn:urgent-care-plans:fhir:place',
  /** Identifies a Bundle: a version's document keeps one identifier. */
  rfc3986: 'urn:ietf:rfc:3986',
} as const;

const ukCore = (name: string) => `https://fhir.hl7.org.uk/StructureDefinition/UKCore-${name}`;

/** UK Core R4 profile names, where one fits the resource as we fill it. */
export const profile = {
  Patient: ukCore('Patient'),
  Organization: ukCore('Organization'),
  Practitioner: ukCore('Practitioner'),
  PractitionerRole: ukCore('PractitionerRole'),
  RelatedPerson: ukCore('RelatedPerson'),
  Composition: ukCore('Composition'),
  Condition: ukCore('Condition'),
  AllergyIntolerance: ukCore('AllergyIntolerance'),
  Flag: ukCore('Flag'),
  MedicationStatement: ukCore('MedicationStatement'),
  Observation: ukCore('Observation'),
  DocumentReference: ukCore('DocumentReference'),
} as const;

export const coding = (sys: string, code: string, display?: string): Coding => ({
  system: sys,
  code,
  ...(display && { display }),
});
export const concept = (c: Coding, text?: string): CodeableConcept => ({
  coding: [c],
  ...(text && { text }),
});

/** NHS Data Dictionary DEATH LOCATION TYPE CODE (the preferred place of death). */
export const deathLocationType: Record<PlaceCode, { code: string; display: string }> = {
  home: { code: '21', display: "Patient's own home" },
  care_home: { code: '40', display: 'Care Home' },
  hospice: { code: '30', display: 'Hospice' },
  hospital: { code: '10', display: 'Hospital' },
  other: { code: '50', display: 'Other (not listed)' },
};

export const placeLabel: Record<PlaceCode, string> = {
  home: 'Home',
  care_home: 'Care home',
  hospice: 'Hospice',
  hospital: 'Hospital',
  other: 'Other',
};

export const cprCode = {
  dnacpr: { code: '450476008', display: 'Not for cardiopulmonary resuscitation' },
  for_cpr: { code: '450475007', display: 'For cardiopulmonary resuscitation' },
} as const;

export const ceilingLabel = {
  full_escalation: 'Full escalation of treatment',
  selective: 'Selective treatment: ward-based, not for intensive care',
  comfort: 'Comfort care only',
} as const;

/** ReSPECT's scale, from 1 (sustain life) to 5 (comfort): only its ends are named on the form. */
export const carePriorityLabel = (priority: number): string =>
  priority === 1
    ? 'Prioritise sustaining life'
    : priority === 5
      ? 'Prioritise comfort'
      : `${priority} on the ReSPECT scale from sustaining life (1) to comfort (5)`;

/** SNOMED CT consent to share, from the UK document-consent subset. */
export const consentCode = {
  given: { code: '425691002', display: 'Consent given for electronic record sharing' },
  withdrawn: { code: '416409005', display: 'Refused consent for upload to local shared electronic record' },
} as const;
