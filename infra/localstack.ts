import { readFileSync } from 'node:fs';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';

/**
 * The CloudFormation resource types LocalStack's free edition deploys: REST API v1, Lambda,
 * DynamoDB (+ Streams), EventBridge, S3, SQS, SNS, KMS, CloudWatch Logs, and the IAM they need.
 * Not here, and so never in the LocalStack template: Pipes, X-Ray, Cognito, WAFv2, CloudWatch
 * alarms and dashboards, EventBridge archives, SES identities (its free-edition provider is a
 * stub; the tester verifies the sender with `awslocal ses verify-email-identity`), custom resources.
 */
export const localStackFreeResourceTypes: ReadonlySet<string> = new Set([
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Stage',
  'AWS::DynamoDB::GlobalTable',
  'AWS::DynamoDB::Table',
  'AWS::Events::EventBus',
  'AWS::Events::EventBusPolicy',
  'AWS::Events::Rule',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Policy',
  'AWS::IAM::Role',
  'AWS::KMS::Alias',
  'AWS::KMS::Key',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
]);

/** Resource types of a synthesized template that LocalStack's free edition would not deploy. */
export const unsupportedResources = (template: {
  Resources?: Record<string, { Type: string }>;
}): { logicalId: string; type: string }[] =>
  Object.entries(template.Resources ?? {})
    .filter(([, resource]) => !localStackFreeResourceTypes.has(resource.Type))
    .map(([logicalId, resource]) => ({ logicalId, type: resource.Type }));

/**
 * Fails `cdk synth -c target=localstack` when the template holds a resource type outside the
 * list above, before cdklocal ever tries to deploy it.
 */
export class LocalStackFreeEdition implements IPolicyValidationPlugin {
  readonly name = 'LocalStackFreeEdition';
  readonly version = '1.0.0';
  readonly ruleIds = ['LocalStackFreeEdition-ResourceType'];

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8'));
      for (const { logicalId, type } of unsupportedResources(template)) {
        violations.push({
          ruleName: 'LocalStackFreeEdition-ResourceType',
          description: `${type} is not deployed by LocalStack's free edition (infra/localstack.ts)`,
          fix: 'Leave it out of the LocalStack target (config.target === "localstack") or add it to the list once LocalStack serves it',
          severity: 'error',
          violatingResources: [{ resourceLogicalId: logicalId, templatePath, locations: ['Type'] }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}
