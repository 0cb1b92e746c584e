import { describe, expect, inject, it } from 'vitest';
import { subscriptions } from '../../events/subscriptions.ts';
import { consumerFunctions, schedules, streamConsumers } from '../../functions/consumers/consumers.ts';
import { httpFunctions, routes } from '../../functions/http/routes.ts';
import { table } from '../../functions/platform/table.ts';
import { localStackFreeResourceTypes, unsupportedResources } from '../../infra/localstack.ts';
import { logicalIdAt } from './synth.ts';

// The LocalStack target with real bundling, synthesised once per run (test/infra/global-setup.ts),
// trusting the dev issuer of a throw-away DATA_DIR, as `npm run deploy:local` does with .data/.
const synth = inject('localStackSynth');

const types = () => new Set(Object.values(synth.json.Resources).map((r) => r.Type));

describe('the LocalStack target', () => {
  it("uses only resource types LocalStack's free edition deploys", () => {
    expect(unsupportedResources(synth.json)).toEqual([]);
    for (const type of types()) expect(localStackFreeResourceTypes).toContain(type);
  });

  it('has no Pipes, X-Ray, Cognito, WAF, archive, SES identity, CloudWatch alarms or custom resources', () => {
    for (const type of types()) {
      expect(type).not.toMatch(
        /^AWS::(Pipes|XRay|Cognito|WAFv2|CloudWatch|SES)::|^Custom::|AWS::Events::Archive/,
      );
    }
    const stage = Object.values(synth.json.Resources).find((r) => r.Type === 'AWS::ApiGateway::Stage');
    expect(stage?.Properties.TracingEnabled).toBe(false);
  });

  it('is otherwise the same app: every function, route, subscription and stream consumer', () => {
    const fns = Object.values(synth.json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(Object.keys({ ...httpFunctions, ...consumerFunctions }).length);
    const methods = Object.values(synth.json.Resources).filter(
      (r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod !== 'OPTIONS',
    );
    expect(methods).toHaveLength(routes.length);
    for (const subscription of subscriptions)
      expect(() => logicalIdAt(synth, `Events/${subscription.id}`)).not.toThrow();
    // The daily schedule too: the reminders run there as in AWS.
    for (const schedule of schedules) {
      const rule = synth.json.Resources[logicalIdAt(synth, `Events/${schedule.id}`)];
      expect(rule?.Properties.ScheduleExpression).toMatch(/^cron\(/);
    }
    const global = Object.values(synth.json.Resources).find((r) => r.Type === 'AWS::DynamoDB::GlobalTable');
    expect(
      global?.Properties.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName),
    ).toContain(table.searchIndex.name);
    const mappings = Object.values(synth.json.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(mappings).toHaveLength(streamConsumers.length);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('trusts the dev issuer, so `npm run token` tokens work against it', () => {
    const patients = synth.json.Resources[logicalIdAt(synth, 'Functions/Patients/Function')]?.Properties;
    const trusted = JSON.parse(patients.Environment.Variables.TRUSTED_ISSUERS);
    expect(trusted.map((i: { issuer: string }) => i.issuer)).toEqual([
      'urn:ucp:dev-issuer:staff',
      'urn:ucp:dev-issuer:citizen',
    ]);
  });

  it('still grants SES sending from the sender the tester verifies by hand', () => {
    const policy =
      synth.json.Resources[logicalIdAt(synth, 'Functions/Notifications/Role/Policy')]?.Properties;
    expect(JSON.stringify(policy.PolicyDocument)).toContain(':identity/urgent-care-plans@example.com');
  });

  it('leaves no cdk-nag finding open, acknowledging only what the free edition lacks', () => {
    expect(synth.openFindings).toEqual([]);
    const localOnly = synth.acknowledgements
      .filter((a) => a.reason.startsWith('LocalStack target only'))
      .map((a) => a.id)
      .sort();
    expect(localOnly).toEqual(['AwsSolutions-APIG3']);
  });
});
