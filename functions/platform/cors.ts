/** The headers a browser may send and read: the functions answer with these, and so does API Gateway's preflight. */
export const corsAllowHeaders = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'Break-Glass',
];
export const corsExposeHeaders = ['ETag', 'Location'];
