import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import { type HttpFunctionName, httpFunctions, routes } from '../../functions/http/routes.ts';
import { corsAllowHeaders, corsAllowMethods, corsMaxAgeSeconds } from '../../functions/platform/cors.ts';
import type { ServiceConfig } from '../config.ts';
import type { Functions } from './functions.ts';
import type { Logs } from './logs.ts';

export type ApiProps = { config: ServiceConfig; functions: Functions; logs: Logs };

/**
 * Errors API Gateway answers itself, in the API's own problem+json shape (docs/api.md "Conventions").
 * An unknown route or method is a 404, not API Gateway's 403 (it answers both alike; the local
 * runtime can tell a known path asked with another method, and answers that 405 with Allow).
 */
const gatewayProblems: { type: ResponseType; status: number; title: string; detail: string }[] = [
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    title: 'Not Found',
    detail: 'no such route',
  },
  {
    type: ResponseType.THROTTLED,
    status: 429,
    title: 'Too Many Requests',
    detail: 'the service is busy: try again shortly',
  },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    title: 'Content Too Large',
    detail: 'the request is too large',
  },
  {
    type: ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    title: 'Gateway Timeout',
    detail: 'the service did not answer in time',
  },
  {
    type: ResponseType.INTEGRATION_FAILURE,
    status: 502,
    title: 'Bad Gateway',
    detail: 'the service could not answer',
  },
];

/**
 * The REST API (v1), one method per entry of `routes` (functions/http/routes.ts) proxied to the
 * function that serves it; stage throttling, access and execution logs without bodies or paths
 * (paths carry NHS numbers), CORS from configuration, and in AWS a WAF web ACL. The OpenAPI
 * document is published by the API itself at `GET /openapi.json` (the meta function), and a
 * reference a person can browse at `GET /docs` (the docs function).
 */
export class Api extends Construct {
  readonly restApi: RestApi;
  /** Base URL of the stage, ending in `/`. */
  readonly url: string;
  /**
   * The same base URL without a trailing `/`, built from the API's id alone: the functions behind
   * the API may be told it (the stage's own URL depends on their methods, a circular reference).
   */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, functions, logs } = props;
    const accessLogs = logs.group(this, 'AccessLogs');

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `urgent-care-plans-${config.stage}`,
      description: `Urgent care plans (${config.stage}): HTTP API v1 (docs/api.md)`,
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        // The resource path (/patients/{nhs}), never the path itself: it holds NHS numbers.
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            requestTime: AccessLogField.contextRequestTime(),
            ip: AccessLogField.contextIdentitySourceIp(),
            userAgent: AccessLogField.contextIdentityUserAgent(),
            method: AccessLogField.contextHttpMethod(),
            resource: AccessLogField.contextResourcePath(),
            status: AccessLogField.contextStatus(),
            protocol: AccessLogField.contextProtocol(),
            responseLength: AccessLogField.contextResponseLength(),
            responseLatency: AccessLogField.contextResponseLatency(),
            integrationLatency: AccessLogField.contextIntegrationLatency(),
            integrationStatus: AccessLogField.contextIntegrationStatus(),
            error: AccessLogField.contextErrorResponseType(),
          }),
        ),
        // Errors only, and never request or response bodies (clinical content).
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        // X-Ray only in AWS: LocalStack's free edition does not serve it.
        // Off: API Gateway's trace segments keep the full request URL, and every URL names a patient.
        tracingEnabled: false,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: config.allowedOrigins,
        allowMethods: corsAllowMethods,
        allowHeaders: corsAllowHeaders,
        maxAge: Duration.seconds(corsMaxAgeSeconds),
      },
    });
    this.url = this.restApi.url;
    const stack = Stack.of(this);
    this.baseUrl = `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/v1`;

    // Path parameters must be present; bodies have no gateway model (the functions validate them
    // with the same zod schemas as the OpenAPI document), so body validation passes them through.
    const validator: RequestValidator = this.restApi.addRequestValidator('Validator', {
      requestValidatorName: 'request',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integrations = new Map<HttpFunctionName, LambdaIntegration>();
    const integration = (name: HttpFunctionName) => {
      let found = integrations.get(name);
      if (!found) {
        found = new LambdaIntegration(functions.byName[name], { proxy: true, allowTestInvoke: false });
        integrations.set(name, found);
      }
      return found;
    };
    for (const route of routes) {
      if (!Object.hasOwn(httpFunctions, route.fn)) {
        throw new Error(
          `route ${route.method} ${route.path} names ${route.fn}, which is not in httpFunctions`,
        );
      }
      const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration(route.fn), {
        operationName: `${route.method} ${route.path}`,
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParameters.map((p) => [`method.request.path.${p}`, true])),
      });
    }

    for (const problem of gatewayProblems) {
      this.restApi.addGatewayResponse(`Problem${problem.status}`, {
        type: problem.type,
        statusCode: String(problem.status),
        responseHeaders: { 'Content-Type': "'application/problem+json'", 'Cache-Control': "'no-store'" },
        templates: {
          'application/json': JSON.stringify({
            type: 'about:blank',
            title: problem.title,
            status: problem.status,
            detail: problem.detail,
          }),
        },
      });
    }

    if (config.target === 'aws') this.firewall(config, logs);
    this.acknowledge(config);
  }

  /** AWS managed rules for known-bad inputs and IP reputation; logs only what it blocks, redacted. */
  private firewall(config: ServiceConfig, logs: Logs): void {
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      // Sampled requests would show full paths (NHS numbers) and tokens in the console.
      sampledRequestsEnabled: false,
    });
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(`ucp-${config.stage}-${name}`),
    });
    const acl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `Urgent care plans ${config.stage} API web ACL`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`ucp-${config.stage}-api`),
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.restApi.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    const logGroupName = `aws-waf-logs-urgent-care-plans-${config.stage}`;
    const wafLogs = logs.group(this, 'WebAclLogs', logGroupName);
    const logging = new CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Bearer tokens, and paths and queries that carry NHS numbers, are never written down.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { uriPath: {} }, { queryString: {} }],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
    });
    logging.node.addDependency(wafLogs);
  }

  private acknowledge(config: ServiceConfig): void {
    const identity =
      'Bearer JWTs from the NHS issuers (CIS2 for staff, NHS login for citizens) are verified inside each function with aws-jwt-verify against TRUSTED_ISSUERS (docs/design.md "Identity"); Cognito is not the identity provider, and LocalStack\'s free edition has no authorizers. /health, /openapi.json and the API reference (/docs and its script) are public by contract (docs/api.md): they hold no patient data.';
    for (const method of this.restApi.methods) {
      Validations.of(method.node.defaultChild as IConstruct).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: identity },
        { id: 'AwsSolutions-COG4', reason: identity },
      );
    }
    const stage = this.restApi.deploymentStage.node.defaultChild as IConstruct;
    Validations.of(stage).acknowledge(
      {
        id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
        reason:
          'Every read of a plan must write an access record before it answers (docs/api.md): a gateway cache would serve unaudited reads, and cached clinical data would outlive a withdrawal. Caching is deliberately off.',
      },
      {
        id: 'HIPAA.Security-APIGWSSLEnabled',
        reason:
          'Client certificates authenticate API Gateway to HTTP backends; every integration here is a Lambda proxy invoked through the Lambda API with IAM, so there is no HTTP backend to present a certificate to.',
      },
    );
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole')?.node.defaultChild;
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level role for writing execution and access logs: AWS's managed policy for exactly this purpose, on a role only API Gateway can assume.",
      });
    }
    Validations.of(stage).acknowledge({
      id: 'HIPAA.Security-APIGWXrayEnabled',
      reason:
        'Stage tracing is off on purpose: X-Ray keeps the full request URL of each traced request, and every URL carries an NHS number (/patients/{nhs}/...). Latency is watched through the API and function metrics and alarms instead.',
    });
    if (config.target === 'localstack') {
      Validations.of(stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'LocalStack target only: its free edition does not serve WAFv2. The AWS target attaches the web ACL.',
      });
    }
  }
}
