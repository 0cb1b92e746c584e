import { join } from 'node:path';
import { startDynamo } from '../local/dynamo.ts';

/** The local runtime's DynamoDB store on its own, over the data `npm start` left in DATA_DIR. */
const dynamo = await startDynamo({ path: join(process.env.DATA_DIR ?? '.data', 'dynamodb') });
process.stdout.write(`dynalite on ${dynamo.endpoint}\n`);
process.on('SIGTERM', () => void dynamo.close().then(() => process.exit(0)));
