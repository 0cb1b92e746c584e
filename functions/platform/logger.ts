import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per function. Log ids and outcomes only: never an NHS number,
 * a name or clinical content.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'urgent-care-plans' });
