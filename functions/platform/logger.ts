import { Logger } from '@aws-lambda-powertools/logger';

/**
 * A structured logger: one per function (`logger`), and one for the one-machine runtime's own
 * answers. Log ids and outcomes only: never an NHS number, a name or clinical content.
 */
export const createLogger = () =>
  new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'urgent-care-plans' });

export const logger = createLogger();
