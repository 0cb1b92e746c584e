import {
  FetchError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';

/**
 * What the two verifiers built on aws-jwt-verify share: the bearer tokens' (identity.ts) and the
 * host systems' assertions (host-assertion.ts). Each answers its callers in its own words.
 */

/** Why aws-jwt-verify refused a JWT, the one place that knows the library's errors. */
export type JwtFailure =
  /** The keys could not be fetched from the JWKS URI. */
  | 'keysUnavailable'
  | 'expired'
  | 'notYetValid'
  | 'wrongAudience'
  | 'wrongIssuer'
  /** An issuer the verifier was not set up for. */
  | 'unknownIssuer'
  | 'wrongAlgorithm'
  | 'badSignature'
  /** No key of the issuer's has the token's kid (or it has none). */
  | 'unknownKey'
  | 'malformed'
  | 'invalid';

/** `undefined`: not a refusal of the token's but a fault (ours), to be thrown on as it is. */
export const jwtFailure = (error: unknown): JwtFailure | undefined => {
  if (!(error instanceof JwtBaseError)) return undefined;
  if (error instanceof FetchError) return 'keysUnavailable';
  if (error instanceof JwtExpiredError) return 'expired';
  if (error instanceof JwtNotBeforeError) return 'notYetValid';
  if (error instanceof JwtInvalidAudienceError) return 'wrongAudience';
  if (error instanceof JwtInvalidIssuerError) return 'wrongIssuer';
  if (error instanceof ParameterValidationError) return 'unknownIssuer';
  if (error instanceof JwtInvalidSignatureAlgorithmError) return 'wrongAlgorithm';
  if (error instanceof JwtInvalidSignatureError) return 'badSignature';
  if (
    error instanceof KidNotFoundInJwksError ||
    error instanceof JwtWithoutValidKidError ||
    error instanceof WaitPeriodNotYetEndedJwkError
  )
    return 'unknownKey';
  if (error instanceof JwtParseError) return 'malformed';
  return 'invalid';
};

/**
 * Keys given inline are all an issuer has: for their (made-up) JWKS URIs an unknown kid is simply
 * unknown, never a request over the network.
 */
export const inlineKeysOffline = (inline: ReadonlySet<string>, fetcher: Fetcher): Fetcher => ({
  fetch: (uri, options, data) =>
    inline.has(uri)
      ? Promise.reject(new KidNotFoundInJwksError('signing key not in the inline JWKS'))
      : fetcher.fetch(uri, options, data),
});
