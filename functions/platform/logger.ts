import { Logger } from '@aws-lambda-powertools/logger';
import { serviceName } from './config.ts';

/**
 * A structured logger: one per function (`logger`), and one for the one-machine runtime's own
 * answers. Log ids and outcomes only: never an NHS number, a name or clinical content.
 */
export const createLogger = () => new Logger({ serviceName: serviceName() });

export const logger = createLogger();
