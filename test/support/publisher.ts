import type { Publisher } from '../../domain/pointer.ts';
import { fhirDocumentUrl } from '../../functions/platform/command-context.ts';

/** The publisher the domain's tests give commands: a fixed custodian and service address. */
export const testPublisher: Publisher = {
  custodian: 'UCP01',
  documentUrl: (nhsNumber, version) => fhirDocumentUrl('https://ucp.test', nhsNumber, version),
};
