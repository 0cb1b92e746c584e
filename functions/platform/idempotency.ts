import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from './dynamo.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { logger } from './logger.ts';
import { badRequest, HttpProblem } from './problem.ts';
import { keys, table } from './table.ts';

type Create = (request: ApiRequest) => Promise<ApiResponse>;

/** How long a key is remembered (the same 24 hours Powertools idempotency defaults to). */
const keptSeconds = 24 * 60 * 60;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted: the same body sent with its fields in another order is the same body. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

type Claim = { status: 'inProgress' | 'completed'; payloadHash: string; response?: ApiResponse };

const keyOf = (id: string) => ({ pk: keys.idempotency(id), sk: keys.idempotencyRecord });

/**
 * Claims a key with one conditional put: free, expired, or left in progress by a request that
 * ran out of time. Answers null when claimed, otherwise the record holding it.
 */
const claim = async (
  id: string,
  claimId: string,
  payloadHash: string,
  now: number,
  leaseMs: number,
): Promise<Claim | null> => {
  // A second try only when the record holding the key was released between the put and the get.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...keyOf(id),
            type: 'idempotency',
            status: 'inProgress',
            claimId,
            payloadHash,
            leaseUntil: now + leaseMs,
            [table.timeToLive]: Math.floor(now / 1000) + keptSeconds,
          },
          ConditionExpression:
            'attribute_not_exists(sk) OR #ttl < :nowSeconds OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#ttl': table.timeToLive, '#status': 'status' },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(now / 1000),
            ':inProgress': 'inProgress',
            ':now': now,
          },
        }),
      );
      return null;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await documentClient().send(
        new GetCommand({ TableName: tableName(), Key: keyOf(id), ConsistentRead: true }),
      );
      if (Item || attempt === 2) return (Item as Claim | undefined) ?? { status: 'inProgress', payloadHash };
    }
  }
};

/**
 * `Idempotency-Key` on a creating POST, scoped to the caller and the resource (method and path):
 * a retry with the same body gets the first response again, a different body 422, and one still
 * running 409. A request that failed leaves no record. One conditional put claims the key (the
 * same pattern as every write here), so the functions carry no idempotency library.
 */
export const idempotentCreate =
  (create: Create): Create =>
  async (request) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return create(request);
    if (!/^[\w-]{8,128}$/.test(key)) {
      throw badRequest('Idempotency-Key must be 8 to 128 letters, digits, - or _', [
        { path: 'Idempotency-Key', message: 'invalid' },
      ]);
    }
    // The same key on another patient's path is another request, not a replay of this one; and
    // so is the same person signed in under another role or organisation (one CIS2 user id spans
    // them all), so a replay never answers someone the create itself would have refused.
    const { actor } = request;
    const id = sha256(
      canonical([
        `${request.event.httpMethod} ${request.event.path}`,
        [
          actor.kind,
          actor.id,
          actor.role,
          actor.kind === 'staff' ? actor.organisation : actor.kind === 'citizen' ? actor.nhsNumber : null,
        ],
        key,
      ]),
    );
    const payloadHash = sha256(canonical(request.body ?? null));
    // Every later write to the record is conditional on this claim still holding it: a request
    // that outlived its lease never deletes or overwrites the claim of the one that took over.
    const claimId = randomUUID();
    const mine = {
      ConditionExpression: 'claimId = :mine',
      ExpressionAttributeValues: { ':mine': claimId },
    };
    const held = await claim(
      id,
      claimId,
      payloadHash,
      Date.now(),
      request.context.getRemainingTimeInMillis(),
    );
    if (held) {
      if (held.payloadHash !== payloadHash) {
        throw new HttpProblem(
          422,
          'Unprocessable Content',
          'this Idempotency-Key was already used with a different request body',
        );
      }
      if (held.status === 'completed' && held.response) return held.response;
      throw new HttpProblem(
        409,
        'Conflict',
        'a request with this Idempotency-Key is still being processed: retry shortly',
        {},
        { 'Retry-After': '1' },
      );
    }
    let response: ApiResponse;
    try {
      response = await create(request);
    } catch (error) {
      // Failed: the key is free again, so a retry runs the request again.
      await documentClient()
        .send(new DeleteCommand({ TableName: tableName(), Key: keyOf(id), ...mine }))
        .catch((releaseError: unknown) =>
          logger.warn('idempotency key not released: it frees itself when its lease lapses', {
            error: (releaseError as Error).name,
          }),
        );
      throw error;
    }
    const now = Date.now();
    // The resource is created: a failure to remember the answer must not turn it into an error.
    // A retry then meets the lapsed lease, runs again, and gets the create's own 409.
    await documentClient()
      .send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...keyOf(id),
            type: 'idempotency',
            status: 'completed',
            claimId,
            payloadHash,
            response,
            [table.timeToLive]: Math.floor(now / 1000) + keptSeconds,
          },
          ...mine,
        }),
      )
      .catch((saveError: unknown) =>
        logger.error('idempotent response not saved', { error: (saveError as Error).name }),
      );
    return response;
  };
