// Idempotency stores that a test starts and controls itself, by process id: a redis-server and dynalite (a local
// DynamoDB API, with the table serverless.yml declares), each of which can be paused (SIGSTOP, as a hung
// server), resumed, killed outright and started again on the same port.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import {
  createIdempotencyTable,
  dynaliteCommand,
  type IdempotencyTableDefinition,
  readIdempotencyTableDefinition,
} from '../../../scripts/local-dynamodb.js';
import { stopChild } from '../../../scripts/stop-child.js';

export interface StoreProcess {
  /** What the service is given: IDEMPOTENCY_REDIS_URL, or IDEMPOTENCY_DYNAMODB_ENDPOINT. */
  env: Record<string, string>;
  pid(): number;
  pause(): void;
  resume(): void;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (a new, empty store; dynalite gets its table again). */
  restart(): Promise<void>;
  /** Resumes it if paused, and starts it again if it was killed: for a test's clean-up. */
  ensureRunning(): Promise<void>;
  stop(): Promise<void>;
}

const waitForLine = (child: ChildProcess, ready: RegExp, name: string) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 20 s`)), 20_000);
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code} before it was ready`)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });

const controlled = (
  name: string,
  env: Record<string, string>,
  launch: () => Promise<ChildProcess>,
): Promise<StoreProcess> => {
  let child: ChildProcess;
  const signal = (name: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      process.kill(child.pid, name);
  };
  const store: StoreProcess = {
    env,
    pid: () => child.pid ?? -1,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    kill: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signal('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await exited;
    },
    restart: async () => {
      child = await launch();
    },
    ensureRunning: async () => {
      if (child.exitCode !== null || child.signalCode !== null) child = await launch();
      else signal('SIGCONT');
    },
    stop: async () => {
      signal('SIGCONT'); // a stopped process would not act on SIGTERM
      await stopChild(child, { graceMs: 2_000 });
    },
  };
  return launch().then((first) => {
    child = first;
    if (process.env.E2E_VERBOSE) process.stderr.write(`${name} started, pid ${first.pid}\n`);
    return store;
  });
};

/** The child once it is ready; a child that never gets there is stopped, not left running. */
const readyOrStopped = async (child: ChildProcess, ready: () => Promise<void>) => {
  try {
    await ready();
    return child;
  } catch (error) {
    await stopChild(child, { graceMs: 2_000 });
    throw error;
  }
};

/** A redis-server in memory on 127.0.0.1:port. */
export const startRedis = (port: number): Promise<StoreProcess> =>
  controlled('redis-server', { IDEMPOTENCY_REDIS_URL: `redis://127.0.0.1:${port}` }, async () => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return readyOrStopped(child, () =>
      waitForLine(child, /Ready to accept connections/, 'redis-server'),
    );
  });

/** One redis-cli command against the server on port; answers its output. */
export const redisCli = async (port: number, ...args: string[]) =>
  (await promisify(execFile)('redis-cli', ['-p', String(port), ...args])).stdout.trim();

let tableDefinition: Promise<IdempotencyTableDefinition> | undefined;

/** serverless.yml's idempotency table, read once per test file (`serverless print` takes seconds). */
export const idempotencyTableDefinition = () => {
  tableDefinition ??= readIdempotencyTableDefinition();
  return tableDefinition;
};

/** dynalite in memory on 127.0.0.1:port, with serverless.yml's idempotency table. */
export const startDynalite = (port: number, extraArgs: string[] = []): Promise<StoreProcess> => {
  const endpoint = `http://127.0.0.1:${port}`;
  return controlled('dynalite', { IDEMPOTENCY_DYNAMODB_ENDPOINT: endpoint }, async () => {
    const { command, args, ready } = dynaliteCommand(port);
    const child = spawn(command, [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    return readyOrStopped(child, async () => {
      await waitForLine(child, ready, 'dynalite');
      await createIdempotencyTable(endpoint, await idempotencyTableDefinition());
    });
  });
};
