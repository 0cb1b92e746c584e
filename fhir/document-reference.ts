import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { DocumentPointer } from '../domain/pointer.ts';
import { coding, concept, profile, system } from './codes.ts';
import { documentIdentifier } from './plan-document.ts';

/**
 * A record-locator pointer as the FHIR DocumentReference an NRL consumer reads (docs/fhir.md
 * "The NRL pointer"), and a search's answer as a FHIR searchset Bundle.
 */
export const documentReference = (pointer: DocumentPointer): DocumentReference => ({
  resourceType: 'DocumentReference',
  id: pointer.id,
  meta: { profile: [profile.DocumentReference] },
  masterIdentifier: documentIdentifier(pointer.nhsNumber, pointer.planVersion),
  status: 'current',
  type: concept(coding(pointer.type.system, pointer.type.code, pointer.type.display)),
  category: [concept(coding(pointer.category.system, pointer.category.code, pointer.category.display))],
  subject: { identifier: { system: system.nhsNumber, value: pointer.nhsNumber } },
  date: pointer.created,
  custodian: { identifier: { system: system.odsOrganisation, value: pointer.custodian } },
  content: [
    { attachment: { contentType: pointer.contentType, url: pointer.url, creation: pointer.created } },
  ],
});

export const searchset = (
  self: string,
  base: string,
  resources: readonly DocumentReference[],
): Bundle<DocumentReference> => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  link: [{ relation: 'self', url: self }],
  entry: resources.map((resource) => ({
    fullUrl: `${base.replace(/\/+$/, '')}/DocumentReference/${resource.id}`,
    resource,
    search: { mode: 'match' },
  })),
});
