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
 * `Idempotency-Key` on a creating POST (Powertools idempotency), scoped to the caller and the
 * resource (method and path): a retry with the same body gets the first response again, a
 * different body 422, and one still running 409. A request that failed leaves no record.
 */
export const idempotentCreate = (create: Create): Create => {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[resource, actorId, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: 24 * 60 * 60,
  });
  type Input = { resource: string; actorId: string; key: string; body: unknown; api: ApiRequest };
  let idempotent: ((input: Input) => Promise<ApiResponse>) | undefined;
  return async (request) => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return create(request);
    if (!/^[\w-]{8,128}$/.test(key)) {
      throw badRequest('Idempotency-Key must be 8 to 128 letters, digits, - or _', [
        { path: 'Idempotency-Key', message: 'invalid' },
      ]);
    }
    idempotent ??= makeIdempotent(async (input: Input) => create(input.api), {
      persistenceStore: store(),
      config,
    });
    config.registerLambdaContext(request.context);
    // The same key on another patient's path is another request, not a replay of this one.
    return idempotent({
      resource: `${request.event.httpMethod} ${request.event.path}`,
      actorId: `${request.actor.kind}:${request.actor.id}`,
      key,
      body: request.body ?? null,
      api: request,
    });
  };
};
