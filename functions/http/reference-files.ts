/**
 * The files of the `redoc` package the API reference page (functions/http/docs.ts) serves, read
 * at run time. The docs function's Lambda asset carries copies at the same places under
 * node_modules (infra/constructs/functions.ts), so they resolve there as they do here.
 */
export const referenceFiles = {
  script: 'redoc/bundles/redoc.standalone.js',
  licences: 'redoc/bundles/redoc.standalone.js.LICENSE.txt',
} as const;
