import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { readConfig } from './config.ts';
import { LocalStackFreeEdition } from './localstack.ts';
import { UrgentCarePlanStack } from './stack.ts';

/**
 * Builds the service into an app: reads the configuration, adds the stack, and has every synth
 * checked by cdk-nag (AWS Solutions and HIPAA Security) and, for the LocalStack target, against
 * what LocalStack's free edition serves. Any unacknowledged finding fails the synth.
 */
export function defineService(
  app: App,
  env: Record<string, string | undefined> = process.env,
): UrgentCarePlanStack {
  const config = readConfig((key) => app.node.tryGetContext(key), env);
  const stack = new UrgentCarePlanStack(app, `UrgentCarePlans-${config.stage}`, {
    config,
    env: { region: config.region, ...(config.account && { account: config.account }) },
    // The version-reporting resource is neither needed nor a type LocalStack lists.
    analyticsReporting: config.target === 'aws',
  });
  Validations.of(app).addPlugins(
    // Acknowledged findings are also written into the template's metadata, for reviewers.
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
    new HIPAASecurityChecks(app, { writeSuppressionsToCloudFormation: true }),
  );
  if (config.target === 'localstack') Validations.of(app).addPlugins(new LocalStackFreeEdition());
  return stack;
}
