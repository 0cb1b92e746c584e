import { describe, expect, it } from 'vitest';
import {
  CprSection,
  PlaceCode,
  PreferencesSection,
  SectionName,
  Sections,
  sectionNamesOf,
  sectionSchemas,
  TreatmentSection,
} from '../../../domain/sections.ts';
import { allSections } from './fixtures.ts';

/** The body of docs/api.md's `POST /patients/{nhs}/plan` example, section by section. */
const example = allSections() as Record<SectionName, unknown>;

const issuesOf = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => (result.error?.issues ?? []).map((issue) => ({ path: issue.path, message: issue.message }));

describe('the section names', () => {
  it('are the ten sections of docs/domain.md, in its order', () => {
    expect(SectionName.options).toEqual([
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
    ]);
    expect(Object.keys(sectionSchemas)).toEqual(SectionName.options);
  });

  it('sectionNamesOf lists the sections given, in canonical order, skipping undefined ones', () => {
    expect(sectionNamesOf({})).toEqual([]);
    expect(
      sectionNamesOf({
        review: { date: '2027-05-20' },
        aboutMe: {},
        cpr: undefined,
        personal: { language: 'Welsh' },
      }),
    ).toEqual(['personal', 'aboutMe', 'review']);
    expect(sectionNamesOf(allSections())).toEqual([
      'contacts',
      'aboutMe',
      'preferences',
      'clinical',
      'cpr',
      'treatment',
      'consent',
      'review',
    ]);
  });
});

describe('the docs/api.md example body', () => {
  it.each(Object.entries(example))('the %s section is accepted as it stands', (name, body) => {
    const schema = sectionSchemas[name as SectionName];
    expect(schema.parse(body)).toEqual(body);
  });

  it('is accepted whole by Sections', () => {
    expect(Sections.parse(allSections())).toEqual(allSections());
  });

  it('leaves out sections that were not given (no undefined keys)', () => {
    expect(Object.keys(Sections.parse({ aboutMe: { whatMattersToMe: 'my garden' } }))).toEqual(['aboutMe']);
  });
});

describe('every section also accepts its full set of fields', () => {
  const full: Record<SectionName, unknown> = {
    personal: {
      preferredName: 'Ada',
      language: 'English',
      interpreterNeeded: false,
      communicationNeeds: 'hard of hearing: face me when speaking',
      accessibilityNeeds: 'wheelchair user',
      disabilities: ['hearing loss'],
    },
    contacts: {
      people: [
        {
          name: 'Ruth Byron',
          relationship: 'daughter',
          role: 'main_carer',
          phone: '+44 (0)7700 900123',
          notes: 'works nights',
          carerSupportNeeds: 'respite once a month',
        },
        { name: 'Dr A Patel', role: 'professional', organisation: 'A81001', phone: '020 7946 0000' },
      ],
    },
    aboutMe: {
      whatMattersToMe: 'being at home',
      dailyActivities: 'reads the paper',
      supportNeeds: 'help to wash',
      goalsAndPriorities: 'see my grandson graduate',
    },
    preferences: {
      preferredPlaceOfCare: { code: 'home' },
      preferredPlaceOfDeath: { code: 'hospice', text: 'St Christopher' },
      afterDeathWishes: { organDonation: 'corneas', faith: 'Church of England', other: 'no flowers' },
      homeAccess: 'key safe 1234',
    },
    legal: {
      lastingPowerOfAttorney: {
        exists: true,
        attorney: 'Ruth Byron',
        contact: '07700 900123',
        registered: true,
      },
      advanceDecisionToRefuseTreatment: { exists: true, location: 'bureau, top drawer' },
      advanceStatement: 'no tube feeding',
      otherDocuments: 'will with solicitor',
    },
    clinical: {
      diagnoses: [{ description: 'COPD', code: 'J44.9' }],
      allergies: [{ substance: 'penicillin', reaction: 'rash' }],
      prognosis: {
        text: 'short',
        category: 'weeks',
        date: '2026-11-20',
        assessedBy: 'Dr Patel',
        awareness: 'all',
      },
      functionalStatus: 'bed-bound',
      anticipatoryMedicines: { prescribed: true, location: 'kitchen drawer', details: 'morphine, midazolam' },
    },
    cpr: {
      decision: 'dnacpr',
      decisionDate: '2026-11-20',
      decidedBy: { name: 'Dr A Patel', role: 'gp', registration: 'GMC 1234567' },
      endorsedBy: { name: 'Dr B Jones', role: 'consultant' },
      mentalCapacity: 'has_capacity',
      discussedWithPatient: true,
      peopleInvolved: ['Ruth Byron'],
      peopleMadeAware: ['Ruth Byron', 'district nurses'],
      formLocation: 'on the fridge',
      reviewDate: '2027-05-20',
    },
    treatment: { ceiling: 'selective', carePriority: 3, recommendations: ['not for ventilation'] },
    consent: { status: 'best_interests', date: '2026-11-20', recordedBy: 'Dr A Patel' },
    review: { date: '2027-05-20' },
  };

  it.each(Object.entries(full))('%s', (name, body) => {
    expect(sectionSchemas[name as SectionName].safeParse(body).success).toBe(true);
  });

  it('and all of them together', () => {
    expect(Sections.safeParse(full).success).toBe(true);
  });
});

describe('unknown fields are rejected, with the path to them', () => {
  it.each([
    ['an unknown section', { wishes: {} }, [], ['wishes']],
    ['a field of personal', { personal: { nickname: 'Ada' } }, ['personal'], ['nickname']],
    [
      'a field of a contact',
      { contacts: { people: [{ name: 'Ruth', email: 'r@x' }] } },
      ['contacts', 'people', 0],
      ['email'],
    ],
    ['a field of contacts', { contacts: { people: [], pets: [] } }, ['contacts'], ['pets']],
    ['a field of aboutMe', { aboutMe: { hobbies: 'chess' } }, ['aboutMe'], ['hobbies']],
    [
      'a field of a place',
      { preferences: { preferredPlaceOfDeath: { code: 'home', postcode: 'SW1A 1AA' } } },
      ['preferences', 'preferredPlaceOfDeath'],
      ['postcode'],
    ],
    [
      'a field of the attorney',
      { legal: { lastingPowerOfAttorney: { exists: true, address: 'x' } } },
      ['legal', 'lastingPowerOfAttorney'],
      ['address'],
    ],
    [
      'a field of a diagnosis',
      { clinical: { diagnoses: [{ description: 'COPD', stage: 4 }] } },
      ['clinical', 'diagnoses', 0],
      ['stage'],
    ],
    [
      'a field of decidedBy',
      {
        cpr: {
          decision: 'dnacpr',
          decisionDate: '2026-11-20',
          decidedBy: { name: 'Dr A Patel', role: 'gp', email: 'x@nhs.net' },
        },
      },
      ['cpr', 'decidedBy'],
      ['email'],
    ],
    ['a field of treatment', { treatment: { ceiling: 'comfort', icu: false } }, ['treatment'], ['icu']],
    [
      'a field of consent',
      { consent: { status: 'given', date: '2026-11-20', witness: 'x' } },
      ['consent'],
      ['witness'],
    ],
    ['a field of review', { review: { date: '2027-05-20', by: 'x' } }, ['review'], ['by']],
  ])('%s', (_, body, path, keys) => {
    const result = Sections.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', path, keys }),
    ]);
  });
});

describe('the CPR section', () => {
  const decidedBy = { name: 'Dr A Patel', role: 'gp' };

  it.each([
    ['without decisionDate', { decision: 'dnacpr', decidedBy }],
    ['without decidedBy', { decision: 'dnacpr', decisionDate: '2026-11-20' }],
    ['without either', { decision: 'dnacpr' }],
  ])('refuses a DNACPR decision %s, pointing at decidedBy', (_, body) => {
    expect(issuesOf(CprSection.safeParse(body))).toEqual([
      { path: ['decidedBy'], message: 'a DNACPR decision needs decisionDate and decidedBy' },
    ]);
  });

  it.each([
    { decision: 'dnacpr', decisionDate: '2026-11-20', decidedBy },
    { decision: 'for_cpr' },
    { decision: 'not_discussed' },
  ])('accepts %j', (body) => {
    expect(CprSection.safeParse(body).success).toBe(true);
  });

  it('refuses discussedWithPatient: false without notDiscussedReason', () => {
    expect(issuesOf(CprSection.safeParse({ decision: 'for_cpr', discussedWithPatient: false }))).toEqual([
      { path: ['notDiscussedReason'], message: 'say why the decision was not discussed with the patient' },
    ]);
  });

  it('refuses a blank notDiscussedReason', () => {
    const result = CprSection.safeParse({
      decision: 'for_cpr',
      discussedWithPatient: false,
      notDiscussedReason: '  ',
    });
    expect(result.success).toBe(false);
  });

  it.each([
    { decision: 'for_cpr', discussedWithPatient: false, notDiscussedReason: 'patient unconscious' },
    { decision: 'for_cpr', discussedWithPatient: true },
    { decision: 'for_cpr' },
  ])('accepts %j', (body) => {
    expect(CprSection.safeParse(body).success).toBe(true);
  });

  it('reports both rules at once, under the section path when nested in Sections', () => {
    const result = Sections.safeParse({ cpr: { decision: 'dnacpr', discussedWithPatient: false } });
    expect(issuesOf(result).map((issue) => issue.path)).toEqual([
      ['cpr', 'decidedBy'],
      ['cpr', 'notDiscussedReason'],
    ]);
  });

  it.each(['DNACPR', 'dnar', '', 'yes'])('refuses the decision %j', (decision) => {
    expect(CprSection.safeParse({ decision }).success).toBe(false);
  });

  it.each(['20-11-2026', '2026-02-30', '2026-11-20T10:00:00Z', 'yesterday'])(
    'refuses the decision date %j',
    (date) => {
      expect(CprSection.safeParse({ decision: 'dnacpr', decisionDate: date, decidedBy }).success).toBe(false);
    },
  );
});

describe('the treatment section', () => {
  it.each([1, 2, 3, 4, 5])('accepts care priority %d', (carePriority) => {
    expect(TreatmentSection.safeParse({ ceiling: 'comfort', carePriority }).success).toBe(true);
  });

  it.each([0, 6, -1, 2.5, '3', null])('refuses care priority %j, with the path', (carePriority) => {
    const result = Sections.safeParse({ treatment: { ceiling: 'comfort', carePriority } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['treatment', 'carePriority']);
  });

  it('accepts no care priority, but needs a ceiling', () => {
    expect(TreatmentSection.safeParse({ ceiling: 'full_escalation' }).success).toBe(true);
    expect(issuesOf(TreatmentSection.safeParse({ carePriority: 5 })).map((issue) => issue.path)).toEqual([
      ['ceiling'],
    ]);
  });

  it.each(['full_escalation', 'selective', 'comfort'])('accepts the ceiling %s', (ceiling) => {
    expect(TreatmentSection.safeParse({ ceiling }).success).toBe(true);
  });

  it.each(['palliative', 'FULL_ESCALATION', ''])('refuses the ceiling %j', (ceiling) => {
    expect(TreatmentSection.safeParse({ ceiling }).success).toBe(false);
  });
});

describe('preferred places', () => {
  it('are the five codes of docs/domain.md', () => {
    expect(PlaceCode.options).toEqual(['home', 'care_home', 'hospice', 'hospital', 'other']);
  });

  it.each(PlaceCode.options)(
    'accepts %s as a preferred place of death and of care, with or without text',
    (code) => {
      expect(PreferencesSection.safeParse({ preferredPlaceOfDeath: { code } }).success).toBe(true);
      expect(
        PreferencesSection.safeParse({ preferredPlaceOfCare: { code, text: 'as discussed' } }).success,
      ).toBe(true);
    },
  );

  it.each(['Home', 'nursing_home', 'hospital ', '', 'elsewhere'])('refuses %j, with the path', (code) => {
    const result = Sections.safeParse({ preferences: { preferredPlaceOfDeath: { code } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['preferences', 'preferredPlaceOfDeath', 'code']);
  });

  it('refuses a place given as a bare string', () => {
    expect(PreferencesSection.safeParse({ preferredPlaceOfDeath: 'home' }).success).toBe(false);
  });
});

describe('other field rules', () => {
  it.each([
    ['a blank text', { aboutMe: { whatMattersToMe: '   ' } }, ['aboutMe', 'whatMattersToMe']],
    ['an over-long text', { aboutMe: { whatMattersToMe: 'x'.repeat(2001) } }, ['aboutMe', 'whatMattersToMe']],
    [
      'a contact without a name',
      { contacts: { people: [{ phone: '07700 900123' }] } },
      ['contacts', 'people', 0, 'name'],
    ],
    [
      'a phone number with letters',
      { contacts: { people: [{ name: 'Ruth', phone: 'call me' }] } },
      ['contacts', 'people', 0, 'phone'],
    ],
    [
      'a lower-case ODS code',
      { contacts: { people: [{ name: 'Dr Patel', organisation: 'a81001' }] } },
      ['contacts', 'people', 0, 'organisation'],
    ],
    ['a contacts section without people', { contacts: {} }, ['contacts', 'people']],
    [
      'an unknown consent status',
      { consent: { status: 'refused', date: '2026-11-20' } },
      ['consent', 'status'],
    ],
    ['consent without a date', { consent: { status: 'given' } }, ['consent', 'date']],
    ['an impossible review date', { review: { date: '2027-13-01' } }, ['review', 'date']],
    ['a section that is not an object', { review: '2027-05-20' }, ['review']],
  ])('refuses %s', (_, body, path) => {
    const result = Sections.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('trims text', () => {
    expect(Sections.parse({ aboutMe: { whatMattersToMe: '  my garden  ' } })).toEqual({
      aboutMe: { whatMattersToMe: 'my garden' },
    });
  });
});
