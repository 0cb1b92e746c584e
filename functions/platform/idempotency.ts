import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamoClient, tableName } from './dynamo.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { badRequest } from './problem.ts';
import { table } from './table.ts';

type Create = (request: ApiRequest) => Promise<ApiResponse>;

let persistenceStore: DynamoDBPersistenceLayer | undefined;
const store = () => {
  persistenceStore ??= new DynamoDBPersistenceLayer({
    tableName: tableName(),
    keyAttr: table.partitionKey,
    sortKeyAttr: table.sortKey,
    // Keyed creates are rare (enrolments, first drafts): one partition holds them comfortably.
    staticPkValue: 'IDEMPOTENCY',
    expiryAttr: table.timeToLive,
    awsSdkV3Client: dynamoClient(),
  });
  return persistenceStore;
};

/**
 * `Idempotency-Key` on a creating POST (Powertools idempotency): the key is the caller's plus
 * the route; a retry with the same body gets the first response again, a different body 422,
 * and one still running 409. A request that failed leaves no record, so it can be retried.
 */
export const idempotentCreate = (route: string, create: Create): Create => {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[route, actorId, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: 24 * 60 * 60,
  });
  let idempotent:
    | ((input: {
        route: string;
        actorId: string;
        key: string;
        body: unknown;
        request: ApiRequest;
      }) => Promise<ApiResponse>)
    | undefined;
  return async (request) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return create(request);
    if (!/^[\w-]{8,128}$/.test(key)) {
      throw badRequest('Idempotency-Key must be 8 to 128 letters, digits, - or _', [
        { path: 'Idempotency-Key', message: 'invalid' },
      ]);
    }
    idempotent ??= makeIdempotent(async (input: { request: ApiRequest }) => create(input.request), {
      persistenceStore: store(),
      config,
    });
    config.registerLambdaContext(request.context);
    return idempotent({ route, actorId: request.actor.id, key, body: request.body ?? null, request });
  };
};
