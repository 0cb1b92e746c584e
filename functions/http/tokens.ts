import { HostSystemId } from '../../domain/host-system.ts';
import { decideLaunch, launchRecord } from '../../domain/launch.ts';
import {
  accessRecords,
  hostSystems,
  launches,
  lazyHandler,
  serviceSigner,
} from '../platform/composition-root.ts';
import { serviceIdentifier } from '../platform/config.ts';
import { AssertionRejected, claimedIssuer, createHostAssertionVerifier } from '../platform/host-assertion.ts';
import { type ApiResponse, httpApi, json } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { logger } from '../platform/logger.ts';
import type { Audit, HostSystems, Launches, ServiceSigner } from '../platform/ports.ts';
import { problemBody } from '../platform/problem.ts';

/**
 * The service's own tokens: its public keys, and launch from a host system by token exchange
 * (RFC 8693, docs/api.md "Launch from a host system"). The host's signed assertion is the only
 * credential: checked against the host's registered keys, organisations and role codes
 * (domain/launch.ts), used once, audited in the patient's access log, and exchanged for a token
 * the service signs itself, about that one patient, for 15 minutes.
 */

const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
const jwtTokenType = 'urn:ietf:params:oauth:token-type:jwt';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';

type OAuthError = 'invalid_request' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type';

/** An RFC 6749 §5.2 error: thrown inside the exchange, answered as its JSON, never as a 5xx. */
class TokenRequestRefused extends Error {
  readonly error: OAuthError;
  constructor(error: OAuthError, description: string) {
    super(description);
    this.error = error;
  }
}

/**
 * RFC 6749 §5.2's JSON (`application/json`, as OAuth clients expect), its members beside those of
 * an RFC 9457 problem, so either kind of client reads it.
 */
const refused = ({ error, message }: TokenRequestRefused): ApiResponse => ({
  statusCode: 400,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  body: JSON.stringify({
    error,
    error_description: message,
    ...problemBody(400, 'Bad Request', message),
  }),
});

/** The form's parameters, each at most once (RFC 6749 §3.2). */
const formParameters = (event: {
  body: string | null;
  isBase64Encoded?: boolean;
  headers: Record<string, string | undefined> | null;
}) => {
  const type = event.headers?.['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type))
    throw new TokenRequestRefused(
      'invalid_request',
      'send the token request as application/x-www-form-urlencoded',
    );
  const text = event.body
    ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8')
    : '';
  const params = new URLSearchParams(text);
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name))
      throw new TokenRequestRefused('invalid_request', `parameter ${name} is sent more than once`);
    seen.add(name);
  }
  return params;
};

type TokenPorts = {
  hostSystems: Pick<HostSystems, 'get'>;
  launches: Launches;
  audit: Pick<Audit, 'recordAccess'>;
  signer: ServiceSigner;
};

const exchange = (ports: TokenPorts) => {
  let verifier: ReturnType<typeof createHostAssertionVerifier> | undefined;
  const assertions = () => {
    verifier ??= createHostAssertionVerifier(serviceIdentifier());
    return verifier;
  };

  const issue = async (params: URLSearchParams): Promise<ApiResponse> => {
    const grantType = params.get('grant_type');
    if (!grantType) throw new TokenRequestRefused('invalid_request', 'grant_type is missing');
    if (grantType !== tokenExchange)
      throw new TokenRequestRefused('unsupported_grant_type', `grant_type must be ${tokenExchange}`);
    const assertion = params.get('subject_token');
    if (!assertion) throw new TokenRequestRefused('invalid_request', 'subject_token is missing');
    if (params.get('subject_token_type') !== jwtTokenType)
      throw new TokenRequestRefused('invalid_request', `subject_token_type must be ${jwtTokenType}`);
    const requested = params.get('requested_token_type');
    if (requested !== null && requested !== accessTokenType)
      throw new TokenRequestRefused('invalid_request', `requested_token_type may only be ${accessTokenType}`);
    if (params.has('actor_token'))
      throw new TokenRequestRefused(
        'invalid_request',
        'actor_token is not supported: the host asserts its user',
      );

    const hostId = claimedIssuer(assertion);
    if (hostId === undefined)
      throw new TokenRequestRefused('invalid_request', 'subject_token is not a JWT with an iss');
    const host = HostSystemId.safeParse(hostId).success ? await ports.hostSystems.get(hostId) : null;
    if (!host)
      throw new TokenRequestRefused('invalid_grant', 'the assertion is not from a registered host system');
    const claims = await assertions()
      .verify(assertion, host)
      .catch((error: unknown) => {
        if (error instanceof AssertionRejected) throw new TokenRequestRefused('invalid_grant', error.message);
        throw error;
      });
    const decision = decideLaunch(host, claims, Math.floor(Date.now() / 1000));
    if (!decision.ok) throw new TokenRequestRefused(decision.refusal.error, decision.refusal.reason);
    const launch = decision.value;
    if (!(await ports.launches.claimAssertion(host.id, launch.assertionId, launch.assertionExpiresAt)))
      throw new TokenRequestRefused('invalid_grant', 'this assertion has been used already: each jti once');

    const { actor } = launch;
    const sessionId = newId();
    const accessToken = await ports.signer.sign(
      {
        iss: serviceIdentifier(),
        aud: serviceIdentifier(),
        sub: actor.id,
        role: actor.role,
        ods: actor.organisation,
        patient: actor.launch.patient,
        via: actor.launch.hostSystem,
        ...(actor.name && { name: actor.name }),
        iat: launch.issuedAt,
        exp: launch.expiresAt,
        jti: sessionId,
      },
      { typ: 'at+jwt' },
    );
    // The launch is in the patient's access log before the token leaves: no unaudited session.
    await ports.audit.recordAccess(launchRecord(launch, { now: new Date().toISOString(), newId, sessionId }));
    logger.info('launched', {
      hostSystem: host.id,
      role: actor.role,
      organisation: actor.organisation,
      sessionId,
    });
    return json(
      200,
      {
        access_token: accessToken,
        issued_token_type: accessTokenType,
        token_type: 'Bearer',
        expires_in: launch.expiresAt - launch.issuedAt,
        patient: actor.launch.patient,
      },
      { Pragma: 'no-cache' },
    );
  };

  return async (event: Parameters<typeof formParameters>[0]): Promise<ApiResponse> => {
    try {
      return await issue(formParameters(event));
    } catch (error) {
      if (!(error instanceof TokenRequestRefused)) throw error;
      logger.info('token exchange refused', { error: error.error, reason: error.message });
      return refused(error);
    }
  };
};

export const createHandler = (ports: TokenPorts) =>
  httpApi(
    'tokens',
    {
      getServiceKeys: {
        handler: async () =>
          json(200, await ports.signer.publicKeys(), { 'Cache-Control': 'public, max-age=300' }),
      },
      exchangeToken: { handler: exchange(ports) },
    },
    { body: 'raw' },
  );

export const handler = lazyHandler(() =>
  createHandler({
    hostSystems: hostSystems(),
    launches: launches(),
    audit: accessRecords(),
    signer: serviceSigner(),
  }),
);
