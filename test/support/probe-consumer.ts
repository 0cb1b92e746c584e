import type { DynamoDBStreamEvent } from 'aws-lambda';

/** A stream consumer that only remembers what it was given: for proving the local runtime runs a new one. */
export const received: string[] = [];

export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  for (const record of event.Records) received.push(String(record.dynamodb?.NewImage?.type?.S));
};
