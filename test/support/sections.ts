import type { Sections } from '../../domain/sections.ts';

/** The docs/api.md example body, split by who may write it: fresh objects on every call. */
/** Sections a patient or carer may write. */
export const patientSections = (): Sections => ({
  preferences: {
    preferredPlaceOfDeath: { code: 'home', text: 'at home with my cat' },
    homeAccess: 'key safe by the back door, code from daughter',
  },
  aboutMe: { whatMattersToMe: 'being at home, no hospital admissions' },
  contacts: { people: [{ name: 'Ruth Byron', relationship: 'daughter', phone: '07700 900123' }] },
});

/** Sections only clinicians may write. */
export const clinicianSections = (): Sections => ({
  clinical: {
    diagnoses: [{ description: 'metastatic lung cancer', primary: true }],
    anticipatoryMedicines: { prescribed: true, location: 'kitchen drawer' },
  },
  cpr: {
    decision: 'dnacpr',
    decisionDate: '2026-11-20',
    decidedBy: { name: 'Dr A Patel', role: 'gp' },
    discussedWithPatient: true,
  },
  treatment: { ceiling: 'comfort', carePriority: 5 },
  consent: { status: 'given', date: '2026-11-20' },
  review: { date: '2027-05-20' },
});

export const allSections = (): Sections => ({ ...patientSections(), ...clinicianSections() });
