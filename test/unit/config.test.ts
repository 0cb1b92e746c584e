import { afterEach, describe, expect, it, vi } from 'vitest';

/** functions/platform/config.ts: each setting read once on first use, checked, named when wrong. */
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});
const fresh = async (vars: Record<string, string | undefined>) => {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.resetModules();
  return import('../../functions/platform/config.ts');
};

describe('the runtime configuration', () => {
  it('names a missing or empty variable, only when the setting is read', async () => {
    const config = await fresh({ SENDER_ADDRESS: undefined, TABLE_NAME: 'plans' });
    expect(config.tableName()).toBe('plans');
    expect(() => config.senderAddress()).toThrow(/^SENDER_ADDRESS is not set: expected the email address/);
    await expect((async () => (await fresh({ SENDER_ADDRESS: '' })).senderAddress())()).rejects.toThrow(
      /SENDER_ADDRESS is not set/,
    );
  });

  it('refuses a value it cannot use, naming the variable and not echoing the value', async () => {
    const config = await fresh({ DYNAMODB_ENDPOINT: 'not a url', TRUSTED_ISSUERS: '[', SERVICE_URL: 'x' });
    expect(() => config.dynamoEndpoint()).toThrow(/^DYNAMODB_ENDPOINT is not a URL/);
    const identity = await import('../../functions/platform/identity.ts');
    expect(() => identity.trustedIssuers()).toThrow(/^TRUSTED_ISSUERS is not valid JSON/);
    expect(() => config.serviceUrl()).toThrow(/^SERVICE_URL is not a URL$/);
  });

  it('reads each variable once: a later change is not seen', async () => {
    const config = await fresh({ ALLOWED_ORIGINS: 'https://a.test, https://b.test,' });
    expect(config.allowedOrigins()).toEqual(['https://a.test', 'https://b.test']);
    process.env.ALLOWED_ORIGINS = 'https://c.test';
    expect(config.allowedOrigins()).toEqual(['https://a.test', 'https://b.test']);
  });

  it('gives optional settings their default when unset', async () => {
    const config = await fresh({
      S3_ENDPOINT: undefined,
      POWERTOOLS_SERVICE_NAME: undefined,
      ALLOWED_ORIGINS: undefined,
    });
    expect(config.s3Endpoint()).toBeUndefined();
    expect(config.serviceName()).toBe('urgent-care-plans');
    expect(config.allowedOrigins()).toEqual([]);
  });
});
