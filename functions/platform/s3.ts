import { S3Client } from '@aws-sdk/client-s3';
import { s3Endpoint } from './config.ts';

/**
 * The S3 client. `S3_ENDPOINT` points at a local S3-protocol server (s3rver), which wants
 * path-style addressing and no flexible checksums.
 */
export const s3Client = (): S3Client => {
  const endpoint = s3Endpoint();
  return new S3Client(
    endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {},
  );
};
