import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A synthesised stack as CloudFormation would deploy it, read from a cloud assembly (`cdk.out`):
 * its template with every intrinsic resolved against placeholder physical ids (an account, the
 * stack's region, names made as CloudFormation makes them), so the rehearsal runs exactly what
 * the template says and nothing hand-listed.
 */

/** CloudFormation JSON has no static type: each reader below checks the part it uses. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON, read and checked by the functions below
export type Json = any;

export type Resource = { Type: string; Properties?: Json; Metadata?: Json; DependsOn?: unknown };

export type Template = {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json }>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Conditions?: Record<string, Json>;
};

/** The placeholder account every ARN is built for. */
export const account = '123456789012';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export type Assembly = {
  /** The cloud assembly folder (`cdk.out` or `cdk.out/localstack`). */
  dir: string;
  stackName: string;
  region: string;
  template: Template;
};

/** The one stack of a cloud assembly, its region and its template. */
export function readAssembly(dir: string): Assembly {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new TemplateError(`${dir} holds no cloud assembly: synthesise first`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1)
    throw new TemplateError(`${dir} holds ${stacks.length} stacks; the rehearsal runs one`);
  const [stackName, artifact] = stacks[0] as [string, (typeof stacks)[number][1]];
  const region = /^aws:\/\/[^/]+\/(.+)$/.exec(artifact.environment ?? '')?.[1];
  if (!region || region === 'unknown-region') throw new TemplateError(`${stackName} names no region`);
  const templateFile = artifact.properties?.templateFile ?? `${stackName}.template.json`;
  return {
    dir,
    stackName,
    region,
    template: JSON.parse(readFileSync(join(dir, templateFile), 'utf8')) as Template,
  };
}

type Physical = { ref: string; attributes: Record<string, string> };

const shortHash = (value: string, length: number) =>
  createHash('sha256').update(value).digest('hex').slice(0, length).toUpperCase();

/** A name as CloudFormation makes one when the template gives none: stack, logical id, a suffix. */
const generatedName = (stackName: string, logicalId: string, max = 64) => {
  const suffix = shortHash(`${stackName}/${logicalId}`, 12);
  return `${stackName}-${logicalId}`.slice(0, max - suffix.length - 1).concat('-', suffix);
};

/** What `Ref` and `Fn::GetAtt` give for each resource, by its type, as CloudFormation documents them. */
function physicalOf(
  logicalId: string,
  resource: Resource,
  stack: { stackName: string; region: string },
): Physical {
  const { stackName, region } = stack;
  const props = resource.Properties ?? {};
  const named = (prop: string, max?: number) =>
    typeof props[prop] === 'string' ? (props[prop] as string) : generatedName(stackName, logicalId, max);
  const arn = (service: string, rest: string, inRegion = true) =>
    `arn:aws:${service}:${inRegion ? region : ''}:${service === 's3' ? '' : account}:${rest}`;
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const name = named('TableName', 255);
      const tableArn = arn('dynamodb', `table/${name}`);
      return {
        ref: name,
        attributes: { Arn: tableArn, StreamArn: `${tableArn}/stream/2026-01-01T00:00:00.000` },
      };
    }
    case 'AWS::KMS::Key': {
      const id = [8, 4, 4, 4, 12]
        .map((n, i) => shortHash(`${logicalId}/${i}`, n))
        .join('-')
        .toLowerCase();
      return { ref: id, attributes: { Arn: arn('kms', `key/${id}`), KeyId: id } };
    }
    case 'AWS::KMS::Alias':
      return { ref: String(props.AliasName), attributes: {} };
    case 'AWS::S3::Bucket': {
      const name = named('BucketName', 63).toLowerCase();
      return {
        ref: name,
        attributes: {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::SQS::Queue': {
      const name = named('QueueName', 80);
      return {
        ref: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
        attributes: {
          Arn: arn('sqs', name),
          QueueName: name,
          QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
        },
      };
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName', 256);
      return { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } };
    }
    case 'AWS::Events::EventBus': {
      const name = named('Name', 256);
      return { ref: name, attributes: { Arn: arn('events', `event-bus/${name}`), Name: name } };
    }
    case 'AWS::Events::Rule': {
      const name = named('Name', 64);
      return { ref: name, attributes: { Arn: '' } }; // completed once the bus names resolve
    }
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName', 64);
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::IAM::Role': {
      const name = named('RoleName', 64);
      return {
        ref: name,
        attributes: { Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${shortHash(name, 17)}` },
      };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const name = named('ManagedPolicyName', 128);
      return { ref: `arn:aws:iam::${account}:policy/${name}`, attributes: {} };
    }
    case 'AWS::Logs::LogGroup': {
      const name =
        typeof props.LogGroupName === 'string'
          ? props.LogGroupName
          : `/aws/${generatedName(stackName, logicalId, 200)}`;
      return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
    }
    case 'AWS::ApiGateway::RestApi': {
      const id = shortHash(logicalId, 10).toLowerCase();
      return { ref: id, attributes: { RootResourceId: `${id}-root` } };
    }
    case 'AWS::ApiGateway::Stage':
      return { ref: String(props.StageName), attributes: {} };
    case 'AWS::SES::EmailIdentity':
      return { ref: String(props.EmailIdentity), attributes: {} };
    default:
      return { ref: shortHash(logicalId, 12).toLowerCase(), attributes: {} };
  }
}

export type ResolvedStack = Assembly & {
  /** Every resource with its properties resolved. */
  resources: Record<string, Resource>;
  /** What `Ref` gives for each resource. */
  refOf(logicalId: string): string;
  /** What `Fn::GetAtt` gives. */
  attributeOf(logicalId: string, attribute: string): string;
  /** The logical id whose `Ref` or `Arn` is this value, if any. */
  logicalIdOf(value: string): string | undefined;
  /** The stack's outputs, resolved. */
  outputs: Record<string, string>;
};

/**
 * Resolves every intrinsic of the template: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, `Fn::If` and the condition functions. Parameters take the values
 * given, else their defaults; one without either fails, naming it.
 */
export function resolveStack(assembly: Assembly, parameters: Record<string, string> = {}): ResolvedStack {
  const { template, stackName, region } = assembly;
  const physical: Record<string, Physical> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    physical[id] = physicalOf(id, resource, { stackName, region });
  }
  const pseudo: Record<string, string> = {
    'AWS::AccountId': account,
    'AWS::Region': region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/rehearsal`,
  };
  const noValue = Symbol('AWS::NoValue');

  const ref = (name: string): string => {
    if (name in pseudo) return pseudo[name] as string;
    if (template.Parameters && name in template.Parameters) {
      const value = parameters[name] ?? template.Parameters[name]?.Default;
      if (value === undefined)
        throw new TemplateError(`parameter ${name} has no value: the rehearsal must be given one`);
      return value;
    }
    const found = physical[name];
    if (!found) throw new TemplateError(`Ref to ${name}, which is not in the template`);
    return found.ref;
  };
  const getAtt = (id: string, attribute: string): string => {
    const found = physical[id];
    if (!found) throw new TemplateError(`Fn::GetAtt on ${id}, which is not in the template`);
    const value = found.attributes[attribute];
    if (value !== undefined) return value;
    // A resource the rehearsal does not run (a firewall, an alarm): a placeholder of the right form.
    const [, service = 'unknown', type = 'resource'] = (template.Resources[id]?.Type ?? '').split('::');
    return attribute === 'Arn'
      ? `arn:aws:${service.toLowerCase()}:${region}:${account}:${type.toLowerCase()}/${found.ref}`
      : `${found.ref}.${attribute}`;
  };

  const conditions: Record<string, boolean> = {};
  const condition = (name: string): boolean => {
    if (!(name in conditions)) conditions[name] = Boolean(resolve(template.Conditions?.[name]));
    return conditions[name] as boolean;
  };

  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve).filter((v) => v !== noValue);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = value[fn];
      switch (fn) {
        case 'Ref':
          return arg === 'AWS::NoValue' ? noValue : ref(arg);
        case 'Fn::GetAtt': {
          const [id, attribute] = typeof arg === 'string' ? arg.split(/\.(.*)/) : arg;
          return getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg;
          return (resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
          const given = resolve(vars) as Record<string, string>;
          return (text as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in given) return String(given[name]);
            const [id, attribute] = name.split(/\.(.*)/) as [string, string | undefined];
            return attribute ? getAtt(id, attribute) : ref(id);
          });
        }
        case 'Fn::Select': {
          const [index, list] = resolve(arg);
          return list[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = resolve(arg);
          return String(text).split(separator);
        }
        case 'Fn::If': {
          const [name, yes, no] = arg;
          return resolve(condition(name) ? yes : no);
        }
        case 'Fn::Equals': {
          const [a, b] = resolve(arg);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !resolve(arg)[0];
        case 'Fn::And':
          return (resolve(arg) as unknown[]).every(Boolean);
        case 'Fn::Or':
          return (resolve(arg) as unknown[]).some(Boolean);
        case 'Condition':
          return condition(arg);
        default:
          if (fn.startsWith('Fn::')) throw new TemplateError(`the rehearsal does not resolve ${fn}`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = resolve(v);
      if (resolved !== noValue) out[k] = resolved;
    }
    return out;
  };

  // A rule's ARN names its bus: resolved once the buses are.
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const bus = resource.Properties?.EventBusName ? resolve(resource.Properties.EventBusName) : 'default';
    const busName = String(bus).replace(/^arn:aws:events:[^:]*:[^:]*:event-bus\//, '');
    const rule = physical[id] as Physical;
    rule.attributes.Arn = `arn:aws:events:${region}:${account}:rule/${busName === 'default' ? '' : `${busName}/`}${rule.ref}`;
    if (busName !== 'default') rule.ref = `${busName}|${rule.ref}`;
  }

  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const when = (resource as { Condition?: string }).Condition;
    if (when && !condition(when)) continue;
    resources[id] = { ...resource, Properties: resolve(resource.Properties ?? {}) };
  }
  const byValue = new Map<string, string>();
  for (const [id, p] of Object.entries(physical)) {
    byValue.set(p.ref, id);
    for (const value of Object.values(p.attributes)) if (value) byValue.set(value, id);
  }
  return {
    ...assembly,
    resources,
    refOf: ref,
    attributeOf: getAtt,
    logicalIdOf: (value) => byValue.get(value),
    outputs: Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([name, output]) => [name, String(resolve(output.Value))]),
    ),
  };
}

/** The resources of one type, by logical id. */
export const ofType = (stack: ResolvedStack, type: string): [string, Resource][] =>
  Object.entries(stack.resources).filter(([, r]) => r.Type === type);
