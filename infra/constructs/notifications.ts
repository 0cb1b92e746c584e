import { Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config.ts';

export type NotificationsProps = { config: ServiceConfig };

/**
 * The SES (v1 API) sending identity: the configured sender address. In AWS it is created here
 * and SES emails the address a verification link. LocalStack's free edition has no
 * CloudFormation support for SES identities: there the tester verifies it with
 * `awslocal ses verify-email-identity` (README "Deploying").
 */
export class Notifications extends Construct {
  readonly senderAddress: string;
  readonly identityArn: string;
  readonly identity: EmailIdentity | undefined;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    this.senderAddress = props.config.senderAddress;
    this.identity =
      props.config.target === 'aws'
        ? new EmailIdentity(this, 'Sender', { identity: Identity.email(this.senderAddress) })
        : undefined;
    this.identityArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: this.senderAddress,
    });
  }

  /** ses:SendEmail from the sender identity, and only with it as the From address. */
  grantSend(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SendFromSender',
        actions: ['ses:SendEmail'],
        resources: [this.identityArn],
        conditions: { StringEquals: { 'ses:FromAddress': this.senderAddress } },
      }),
    );
  }
}
