import { App } from 'aws-cdk-lib';
import { UrgentCarePlanStack } from './stack.ts';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
new UrgentCarePlanStack(app, `UrgentCarePlans-${stage}`, { stage });
