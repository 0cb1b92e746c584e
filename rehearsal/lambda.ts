import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { account } from './template.ts';

/**
 * Lambda, in processes: each function of the template runs its own asset from the cloud assembly
 * in execution environments of its own (a child process each, made on demand, reused while warm,
 * one invocation at a time each as in Lambda), with exactly the environment Lambda would give it.
 * What a function writes goes to its log file, as CloudWatch Logs would keep it.
 */

export type LambdaFunction = {
  logicalId: string;
  name: string;
  arn: string;
  roleArn: string;
  /** The asset folder in the cloud assembly: LAMBDA_TASK_ROOT. */
  assetDir: string;
  handler: string;
  runtime: string;
  /** The template's variables, resolved. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  logGroupName: string;
  logGroupArn: string;
};

export type InvocationFailure = { ok: false; error: { errorType: string; errorMessage: string } };
export type InvocationResult = { ok: true; result: unknown } | InvocationFailure;

type Pending = { resolve: (r: InvocationResult) => void; timer: NodeJS.Timeout };

type Environment = {
  child: ChildProcess;
  ready: Promise<InvocationFailure | undefined>;
  busy: boolean;
  logStream: string;
  pending: Map<number, Pending>;
};

export type LambdaHooks = {
  /** A new execution environment starts: its log stream is made (logs:CreateLogStream). */
  onEnvironment(fn: LambdaFunction, logStream: string): Promise<void>;
  /** Before each invocation writes its log lines (logs:PutLogEvents). */
  onInvoke(fn: LambdaFunction, logStream: string): Promise<void>;
  /** A line the function logged at ERROR, or an error it threw: the rehearsal reports them. */
  onError(fn: LambdaFunction, line: string): void;
};

export type LambdaServiceOptions = {
  /** Lambda's reserved variables the rehearsal adds: credentials and the AWS endpoint. */
  reserved: (fn: LambdaFunction) => Record<string, string>;
  logDir: string;
  hooks: LambdaHooks;
  /** Execution environments per function at most; more invocations wait. */
  maxEnvironments?: number;
};

const runtimeEntry = fileURLToPath(new URL('./lambda-runtime.ts', import.meta.url));

/** The Node.js runtimes this rehearsal runs, by the template's `Runtime`. */
const supportedRuntimes = new Set(['nodejs20.x', 'nodejs22.x', 'nodejs24.x']);

export class LambdaService {
  private readonly environments = new Map<string, Environment[]>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly logs = new Map<string, WriteStream>();
  private nextId = 1;
  private closed = false;

  private readonly options: LambdaServiceOptions;

  constructor(options: LambdaServiceOptions) {
    this.options = options;
    mkdirSync(options.logDir, { recursive: true });
  }

  /** The environment Lambda gives the function: its template variables over Lambda's own. */
  environmentOf(fn: LambdaFunction, logStream: string): Record<string, string> {
    return {
      PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin'.concat(':', process.env.PATH ?? ''),
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: fn.assetDir,
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: logStream,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      ...this.options.reserved(fn),
      ...fn.environment,
    };
  }

  async invoke(
    fn: LambdaFunction,
    event: unknown,
    requestId: string = randomUUID(),
  ): Promise<InvocationResult> {
    if (!supportedRuntimes.has(fn.runtime))
      return {
        ok: false,
        error: { errorType: 'Rehearsal.Runtime', errorMessage: `${fn.runtime} is not rehearsed` },
      };
    const env = await this.acquire(fn);
    try {
      const initFailure = await env.ready;
      if (initFailure) {
        this.discard(fn, env);
        return initFailure;
      }
      await this.options.hooks.onInvoke(fn, env.logStream);
      const id = this.nextId++;
      const deadline = Date.now() + fn.timeoutSeconds * 1000;
      return await new Promise<InvocationResult>((resolve) => {
        const timer = setTimeout(() => {
          env.pending.delete(id);
          this.discard(fn, env);
          resolve({
            ok: false,
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${fn.timeoutSeconds} seconds`,
            },
          });
        }, fn.timeoutSeconds * 1000);
        env.pending.set(id, { resolve, timer });
        env.child.send({
          type: 'invoke',
          id,
          event,
          context: {
            awsRequestId: requestId,
            functionName: fn.name,
            functionVersion: '$LATEST',
            invokedFunctionArn: fn.arn,
            memoryLimitInMB: String(fn.memoryMb),
            logGroupName: fn.logGroupName,
            logStreamName: env.logStream,
            deadline,
          },
        });
      });
    } finally {
      this.release(fn, env);
    }
  }

  private async acquire(fn: LambdaFunction): Promise<Environment> {
    for (;;) {
      if (this.closed) throw new Error('the rehearsal is closed');
      const pool = this.environments.get(fn.name) ?? [];
      this.environments.set(fn.name, pool);
      const idle = pool.find((e) => !e.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < (this.options.maxEnvironments ?? 3)) {
        const env = this.start(fn);
        env.busy = true;
        pool.push(env);
        return env;
      }
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(fn.name) ?? [];
        queue.push(resolve);
        this.waiting.set(fn.name, queue);
      });
    }
  }

  private release(fn: LambdaFunction, env: Environment): void {
    env.busy = false;
    this.waiting.get(fn.name)?.shift()?.();
  }

  private discard(fn: LambdaFunction, env: Environment): void {
    const pool = this.environments.get(fn.name) ?? [];
    this.environments.set(
      fn.name,
      pool.filter((e) => e !== env),
    );
    env.child.kill('SIGKILL');
  }

  private logFile(fn: LambdaFunction): WriteStream {
    let stream = this.logs.get(fn.name);
    if (!stream) {
      stream = createWriteStream(join(this.options.logDir, `${fn.logicalId}.log`), { flags: 'a' });
      this.logs.set(fn.name, stream);
    }
    return stream;
  }

  private start(fn: LambdaFunction): Environment {
    const logStream = `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
    const child = fork(runtimeEntry, [], {
      cwd: fn.assetDir,
      env: this.environmentOf(fn, logStream),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const log = this.logFile(fn);
    const pending = new Map<number, Pending>();
    const onOutput = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (/"level":"ERROR"/.test(line)) this.options.hooks.onError(fn, line);
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    const ready = new Promise<InvocationFailure | undefined>((resolve) => {
      child.on(
        'message',
        (message: { type: string; id?: number; result?: unknown; error?: InvocationResult }) => {
          if (message.type === 'ready') resolve(undefined);
          else if (message.type === 'initError') resolve({ ok: false, error: message.error as never });
          else if (message.id !== undefined) {
            const waiting = pending.get(message.id);
            if (!waiting) return;
            pending.delete(message.id);
            clearTimeout(waiting.timer);
            waiting.resolve(
              message.type === 'result'
                ? { ok: true, result: message.result }
                : { ok: false, error: message.error as never },
            );
          }
        },
      );
      child.on('exit', (code) => {
        const error = { errorType: 'Runtime.ExitError', errorMessage: `RequestId: exited with code ${code}` };
        resolve({ ok: false, error });
        for (const [id, waiting] of pending) {
          clearTimeout(waiting.timer);
          waiting.resolve({ ok: false, error });
          pending.delete(id);
        }
      });
    });
    const env: Environment = { child, ready, busy: false, logStream, pending };
    env.ready = ready.then(async (failure) => {
      if (failure)
        this.options.hooks.onError(
          fn,
          `init failed: ${failure.error.errorType}: ${failure.error.errorMessage}`,
        );
      await this.options.hooks.onEnvironment(fn, logStream);
      return failure;
    });
    return env;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.waiting.values()) for (const wake of queue) wake();
    const exits: Promise<unknown>[] = [];
    for (const pool of this.environments.values()) {
      for (const env of pool) {
        if (env.child.exitCode === null) {
          exits.push(new Promise((resolve) => env.child.once('exit', resolve)));
          env.child.kill('SIGTERM');
        }
      }
    }
    this.environments.clear();
    await Promise.all(exits);
    await Promise.all([...this.logs.values()].map((s) => new Promise((resolve) => s.end(resolve))));
  }
}

export const lambdaArn = (region: string, name: string) =>
  `arn:aws:lambda:${region}:${account}:function:${name}`;
