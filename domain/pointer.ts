/**
 * The pointer to a published version, as a record locator (the NHS National Record Locator) holds
 * it: what kind of document, who keeps it, where to fetch it. Raised with each publication and
 * retired when the plan stops being shared (docs/fhir.md "The NRL pointer").
 */

export const snomedCt = 'http://snomed.info/sct';

/** NRL's pointer type and category for an end-of-life care plan. */
export const documentType = {
  system: snomedCt,
  code: '736373009',
  display: 'End of life care plan',
} as const;
export const documentCategory = { system: snomedCt, code: '734163000', display: 'Care plan' } as const;

/** The FHIR document a pointer leads to. */
export const documentContentType = 'application/fhir+json';

/**
 * Who publishes: the custodian's ODS code (the organisation that runs this service) and the URL
 * of a version's FHIR document. Given to the domain by the handler, which reads its configuration.
 */
export type Publisher = {
  readonly custodian: string;
  documentUrl(nhsNumber: string, version: number): string;
};

export type DocumentPointer = {
  /** Stable for the version: the same pointer on every delivery and every search. */
  id: string;
  nhsNumber: string;
  planVersion: number;
  type: typeof documentType;
  category: typeof documentCategory;
  custodian: string;
  url: string;
  contentType: typeof documentContentType;
  /** When the version was published (ratified). */
  created: string;
};

export const pointerId = (nhsNumber: string, version: number): string => `${nhsNumber}-v${version}`;

export const documentPointer = (
  nhsNumber: string,
  published: { version: number; ratifiedAt: string },
  publisher: Publisher,
): DocumentPointer => ({
  id: pointerId(nhsNumber, published.version),
  nhsNumber,
  planVersion: published.version,
  type: documentType,
  category: documentCategory,
  custodian: publisher.custodian,
  url: publisher.documentUrl(nhsNumber, published.version),
  contentType: documentContentType,
  created: published.ratifiedAt,
});

/** Why a pointer is retired: the plan stopped being shared. */
export type RetirementReason = 'withdrawn' | 'died';
