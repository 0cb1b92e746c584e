import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * One Lambda execution environment of the rehearsal, in a process of its own whose environment is
 * exactly what Lambda would give the function (the template's variables and Lambda's reserved
 * ones): loads the handler the template names (`_HANDLER`, e.g. `index.handler`) from the asset
 * in `LAMBDA_TASK_ROOT`, as the Node.js runtime does, then runs one invocation at a time as the
 * parent sends them. An error at load is reported as Lambda reports an init failure.
 */

type Invocation = {
  type: 'invoke';
  id: number;
  event: unknown;
  context: {
    awsRequestId: string;
    functionName: string;
    functionVersion: string;
    invokedFunctionArn: string;
    memoryLimitInMB: string;
    logGroupName: string;
    logStreamName: string;
    deadline: number;
  };
};

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const send = (message: unknown) => process.send?.(message);

const describe = (error: unknown) => {
  const e = error as Error;
  return { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) };
};

/** `dir/file.export.nested` as Lambda's Node.js runtime reads it. */
async function loadHandler(): Promise<Handler> {
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const spec = process.env._HANDLER ?? '';
  const match = /^(.*?)\.([^/]+)$/.exec(spec);
  if (!match) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const [, file = '', exportPath = ''] = match;
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => join(root, `${file}${ext}`));
  const path = candidates.find((c) => existsSync(c));
  if (!path)
    throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  let target: unknown = await import(pathToFileURL(path).href);
  for (const name of exportPath.split('.')) target = (target as Record<string, unknown>)?.[name];
  if (typeof target !== 'function')
    throw Object.assign(new Error(`${spec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  return target as Handler;
}

const loading = loadHandler();
loading.then(
  () => send({ type: 'ready' }),
  (error: unknown) => send({ type: 'initError', error: describe(error) }),
);

process.on('message', async (message: Invocation) => {
  if (message.type !== 'invoke') return;
  const { id, event, context } = message;
  try {
    const handler = await loading;
    const result = await handler(event, {
      ...context,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    });
    send({ type: 'result', id, result: result === undefined ? null : result });
  } catch (error) {
    // As Lambda's runtime does, the error goes to the function's log too.
    process.stderr.write(
      `${JSON.stringify({ level: 'ERROR', message: 'Invoke Error', ...describe(error) })}\n`,
    );
    send({ type: 'error', id, error: describe(error) });
  }
});
