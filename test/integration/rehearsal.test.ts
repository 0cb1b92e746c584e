import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToJose } from '../../functions/platform/signing/jws.ts';
import { type Rehearsal, scheduleProblem, startRehearsal } from '../../rehearsal/rehearsal.ts';
import { account, TemplateError } from '../../rehearsal/template.ts';

/**
 * The rehearsal's KMS signing keys and scheduled rules, on a synthetic cloud assembly: a nightly
 * schedule rule invokes two functions (a real asset in its own process, calling KMS through the
 * AWS SDK as the service's functions do), one whose role may sign and one that may only read the
 * public key, against a signing key, a key whose policy does not trust the account, and a
 * symmetric key. What the functions saw is written to files the test reads.
 */

// biome-ignore lint/suspicious/noExplicitAny: what the asset wrote, checked field by field
type Json = any;

const region = 'eu-west-2';
const kmsSdk = pathToFileURL(createRequire(import.meta.url).resolve('@aws-sdk/client-kms')).href;

/** The asset: every KMS call it makes, answered or refused, goes into a file of its own per invocation. */
const asset = `
import sdk from '${kmsSdk}';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
const { KMSClient, GetPublicKeyCommand, SignCommand } = sdk;
const client = new KMSClient({ maxAttempts: 1 });
const base64 = (bytes) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);
const attempt = async (command) => {
  try {
    const answer = await client.send(command);
    return { ok: true, keyId: answer.KeyId, keySpec: answer.KeySpec, keyUsage: answer.KeyUsage,
      algorithms: answer.SigningAlgorithms, publicKey: base64(answer.PublicKey), signature: base64(answer.Signature) };
  } catch (error) {
    return { ok: false, name: error.name };
  }
};
const message = Buffer.from('the plan, as ratified');
const digest = createHash('sha256').update(message).digest();
const sign = (KeyId, more = {}) =>
  attempt(new SignCommand({ KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256', ...more }));
export const handler = async (event) => {
  const seen = {
    event,
    publicKey: await attempt(new GetPublicKeyCommand({ KeyId: process.env.KEY_ALIAS })),
    digest: await sign(process.env.KEY_ID),
    raw: await sign(process.env.KEY_ARN, { Message: message, MessageType: undefined }),
    byAlias: await sign(process.env.KEY_ALIAS),
    shortDigest: await sign(process.env.KEY_ID, { Message: digest.subarray(0, 20) }),
    wrongAlgorithm: await sign(process.env.KEY_ID, { SigningAlgorithm: 'ECDSA_SHA_384' }),
    lockedKey: await sign(process.env.LOCKED_KEY_ARN),
    symmetricKey: await sign(process.env.SYMMETRIC_KEY_ID),
  };
  writeFileSync(process.env.OUT_DIR + '/' + Date.now() + '-' + Math.random() + '.json', JSON.stringify(seen));
};
`;

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const accountRoot = { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':root']] };
const trustAccount = {
  Statement: [{ Effect: 'Allow', Principal: { AWS: accountRoot }, Action: 'kms:*', Resource: '*' }],
};
const signingKey = (policy: Json) => ({
  Type: 'AWS::KMS::Key',
  Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', KeyPolicy: policy },
});
const role = (kmsActions: string[]) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    },
    Policies: [
      {
        PolicyName: 'Use',
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
            {
              Effect: 'Allow',
              Action: kmsActions,
              Resource: [arnOf('SigningKey'), arnOf('LockedKey'), arnOf('SymmetricKey')],
            },
          ],
        },
      },
    ],
  },
});
const fn = (roleId: string, outDir: string) => ({
  Type: 'AWS::Lambda::Function',
  Metadata: { 'aws:asset:path': 'asset.signer' },
  Properties: {
    Handler: 'index.handler',
    Runtime: 'nodejs24.x',
    Timeout: 30,
    Role: arnOf(roleId),
    Environment: {
      Variables: {
        KEY_ID: { Ref: 'SigningKey' },
        KEY_ARN: arnOf('SigningKey'),
        KEY_ALIAS: { Ref: 'SigningAlias' },
        LOCKED_KEY_ARN: arnOf('LockedKey'),
        SYMMETRIC_KEY_ID: { Ref: 'SymmetricKey' },
        OUT_DIR: outDir,
      },
    },
  },
});
const invokedBy = (fnId: string, ruleId: string) => ({
  Type: 'AWS::Lambda::Permission',
  Properties: {
    Action: 'lambda:InvokeFunction',
    FunctionName: arnOf(fnId),
    Principal: 'events.amazonaws.com',
    SourceArn: arnOf(ruleId),
  },
});

function writeAssembly(dir: string, out: { signer: string; reader: string }, schedule: Json = {}): string {
  const assembly = mkdtempSync(join(dir, 'assembly-'));
  mkdirSync(join(assembly, 'asset.signer'));
  writeFileSync(join(assembly, 'asset.signer', 'index.mjs'), asset);
  const template = {
    Resources: {
      SigningKey: signingKey(trustAccount),
      SigningAlias: {
        Type: 'AWS::KMS::Alias',
        Properties: { AliasName: 'alias/synthetic/signing', TargetKeyId: arnOf('SigningKey') },
      },
      // Trusts one other role only: the account's IAM policies count for nothing on it.
      LockedKey: signingKey({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:role/key-administrator` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      }),
      SymmetricKey: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: trustAccount } },
      SignerRole: role(['kms:Sign', 'kms:GetPublicKey']),
      ReaderRole: role(['kms:GetPublicKey']),
      Signer: fn('SignerRole', out.signer),
      Reader: fn('ReaderRole', out.reader),
      Nightly: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'cron(0 3 * * ? *)',
          Targets: [
            { Arn: arnOf('Signer'), Id: 'Signer' },
            { Arn: arnOf('Reader'), Id: 'Reader' },
          ],
          ...schedule,
        },
      },
      SignerInvokedNightly: invokedBy('Signer', 'Nightly'),
      ReaderInvokedNightly: invokedBy('Reader', 'Nightly'),
    },
  };
  writeFileSync(join(assembly, 'Synthetic.template.json'), JSON.stringify(template));
  writeFileSync(
    join(assembly, 'manifest.json'),
    JSON.stringify({
      version: '41.0.0',
      artifacts: {
        Synthetic: {
          type: 'aws:cloudformation:stack',
          environment: `aws://unknown-account/${region}`,
          properties: { templateFile: 'Synthetic.template.json' },
        },
      },
    }),
  );
  return assembly;
}

const seenIn = (dir: string): Json[] =>
  readdirSync(dir)
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));

describe('scheduleProblem: ScheduleExpressions as EventBridge takes them', () => {
  it('takes rate(...) with the unit in its number, and six-field cron with one ? day', () => {
    for (const ok of [
      'rate(1 day)',
      'rate(5 minutes)',
      'rate(2 hours)',
      'cron(0 3 * * ? *)',
      'cron(15 6 ? * MON-FRI *)',
      'cron(0/10 * L * ? 2030)',
    ])
      expect(scheduleProblem(ok), ok).toBeUndefined();
    for (const bad of [
      'cron(0 8 * * *)', // Unix cron: five fields
      'cron(0 8 * * MON *)', // no ?
      'cron(0 8 ? * ? *)', // two
      'rate(1 days)',
      'rate(2 hour)',
      'rate(0 minutes)',
      'rate(1 week)',
      'every day at 3',
    ])
      expect(scheduleProblem(bad), bad).toEqual(expect.any(String));
  });
});

describe('the rehearsal: KMS signing keys and scheduled rules', () => {
  let dir: string;
  let out: { signer: string; reader: string };
  let rehearsal: Rehearsal;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ucp-rehearsal-'));
    out = { signer: join(dir, 'signer'), reader: join(dir, 'reader') };
    mkdirSync(out.signer);
    mkdirSync(out.reader);
    rehearsal = await startRehearsal({ assemblyDir: writeAssembly(dir, out), dataDir: join(dir, 'data') });
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires each scheduled target with the event EventBridge sends; KMS signs as KMS does, under the IAM proof and the key policy', async () => {
    await rehearsal.fireSchedules();
    const [signer] = seenIn(out.signer);
    const [reader] = seenIn(out.reader);
    const ruleArn = rehearsal.stack.attributeOf('Nightly', 'Arn');
    expect(ruleArn).toMatch(/^arn:aws:events:eu-west-2:\d{12}:rule\/Synthetic-Nightly-/);
    for (const seen of [signer, reader])
      expect(seen.event).toEqual({
        version: '0',
        id: expect.any(String),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        region,
        resources: [ruleArn],
        detail: {},
      });

    // The public key: by alias, answered with the key's ARN; the pair made for this rehearsal.
    const keyArn = rehearsal.stack.attributeOf('SigningKey', 'Arn');
    const made = rehearsal.kms.resolve(keyArn);
    if (made.found !== 'signing') throw new Error('the signing key was not made');
    expect(signer.publicKey).toEqual({
      ok: true,
      keyId: keyArn,
      keySpec: 'ECC_NIST_P256',
      keyUsage: 'SIGN_VERIFY',
      algorithms: ['ECDSA_SHA_256'],
      publicKey: made.key.publicKey.toString('base64'),
    });
    const publicKey = createPublicKey({
      key: Buffer.from(signer.publicKey.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    // A DIGEST, a RAW message and a sign by alias: DER signatures over SHA-256 of the message.
    const message = Buffer.from('the plan, as ratified');
    for (const name of ['digest', 'raw', 'byAlias']) {
      expect(signer[name], name).toMatchObject({ ok: true, keyId: keyArn });
      const der = Buffer.from(signer[name].signature, 'base64');
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der), name).toBe(true);
      expect(verify('sha256', Buffer.from('another plan'), { key: publicKey, dsaEncoding: 'der' }, der)).toBe(
        false,
      );
      // The service's own conversion takes it: JOSE's r||s.
      expect(derToJose(der)).toHaveLength(64);
    }
    // Randomised, as KMS's ECDSA is: the same digest signed twice differs.
    expect(signer.digest.signature).not.toBe(signer.byAlias.signature);

    expect(signer.shortDigest).toEqual({ ok: false, name: 'ValidationException' });
    expect(signer.wrongAlgorithm).toEqual({ ok: false, name: 'InvalidKeyUsageException' });
    // The role may sign with it, but the key's own policy does not trust the account.
    expect(signer.lockedKey).toEqual({ ok: false, name: 'AccessDeniedException' });
    expect(signer.symmetricKey).toEqual({ ok: false, name: 'UnsupportedOperationException' });
    // The reader's role grants GetPublicKey only.
    expect(reader.publicKey).toMatchObject({ ok: true, keyId: keyArn });
    expect(reader.digest).toEqual({ ok: false, name: 'AccessDeniedException' });

    const findings = rehearsal.findings();
    const lockedArn = rehearsal.stack.attributeOf('LockedKey', 'Arn');
    const signerFn = rehearsal.stack.refOf('Signer');
    const readerFn = rehearsal.stack.refOf('Reader');
    expect(findings.denials).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ caller: signerFn, action: 'kms:Sign', resource: lockedArn }),
        expect.objectContaining({ caller: readerFn, action: 'kms:Sign', resource: keyArn }),
      ]),
    );
    expect(findings.denials.filter((d) => d.caller === signerFn && d.resource === keyArn)).toEqual([]);
    expect(findings.unsupported).toEqual(
      expect.arrayContaining([expect.stringMatching(/^kms:Sign on a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key/)]),
    );
    expect(findings.deadLetters).toEqual([]);
    // EventBridge invoked each target as the rule, by the functions' resource policies.
    const invocations = rehearsal.iam
      .serviceCalls()
      .filter((c) => c.service === 'events.amazonaws.com' && c.action === 'lambda:InvokeFunction');
    expect(invocations.map((c) => c.via)).toEqual(['EventBridge Nightly', 'EventBridge Nightly']);
  }, 60_000);

  it('fires the schedules once more at close, so every scheduled target runs at least once', async () => {
    const before = seenIn(out.signer).length;
    await rehearsal.close();
    expect(seenIn(out.signer)).toHaveLength(before + 1);
    expect(seenIn(out.reader)).toHaveLength(before + 1);
  }, 60_000);
});

describe('the rehearsal refuses a schedule EventBridge would refuse, before it starts anything', () => {
  it.each([
    [
      { ScheduleExpression: 'cron(0 3 * * *)' },
      /Nightly: ScheduleExpression cron\(0 3 \* \* \*\): cron takes six fields/,
    ],
    [{ EventBusName: 'custom' }, /Nightly: a ScheduleExpression is supported only on the default event bus/],
  ])('%j', async (change, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'ucp-rehearsal-'));
    try {
      const assemblyDir = writeAssembly(dir, { signer: dir, reader: dir }, change);
      const started = startRehearsal({ assemblyDir, dataDir: join(dir, 'data') });
      await expect(started).rejects.toThrow(TemplateError);
      await expect(started).rejects.toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
