// Runs the service the way `npm start` does (scripts/start.ts: embedded broker + serverless-offline) for
// end-to-end tests, on ports of their own, and stops every process it started.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BrokerControl, stopProcess, waitForReadyLine } from './harness.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServicePorts {
  http: number;
  lambda: number;
  broker: number;
  /** redis-server for Idempotency-Key records; default broker + 1. */
  redis?: number;
}

export interface RunningService {
  http: string;
  lambda: string;
  kafkaBrokers: string;
  /** The embedded broker's control API: faults, the produce log. */
  control: BrokerControl;
  /** The process id of scripts/start.ts (of npm, with viaNpmStart), also the id of the process group of everything it started. */
  pid: number;
  /** serverless-offline's process, where the functions run: the "container" a test may freeze (SIGSTOP). */
  functionHostPid: number;
  /** What scripts/start.ts and serverless-offline printed so far (stderr). */
  output(): string[];
  /** Headers that authenticate a request to the publishing routes. */
  authHeaders: Record<string, string>;
  /** The environment that points another process at the service's Idempotency-Key store. */
  idempotencyStoreEnv: Record<string, string>;
  /** Closes our end of its stdin, as the end of this process would (it was started with --exit-on-stdin-close). */
  closeStdin(): void;
  stop(): Promise<void>;
}

interface ReadyLine {
  event: 'ready';
  http: string;
  lambda: string;
  kafkaBrokers: string;
  brokerControl: string;
  token: string;
  /** serverless-offline's process, where the functions run (in-process): the "container" a test may freeze. */
  functionHostPid: number;
  idempotencyStoreEnv: Record<string, string>;
}

export interface StartOptions {
  /** Through `npm start` itself (package.json's script, npm in between), not node on scripts/start.ts. */
  viaNpmStart?: boolean;
}

export const startService = async (
  ports: ServicePorts,
  extraEnv: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningService> => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_PORT: String(ports.http),
    LAMBDA_PORT: String(ports.lambda),
    EMBEDDED_BROKER_PORT: String(ports.broker),
    REDIS_PORT: String(ports.redis ?? ports.broker + 1),
    ...extraEnv,
  };
  delete env.NODE_OPTIONS; // jest's flags are for jest
  delete env.KAFKA_BROKERS; // always the embedded broker
  // and an idempotency store of its own, unless the test gives one
  if (!extraEnv.IDEMPOTENCY_REDIS_URL) delete env.IDEMPOTENCY_REDIS_URL;
  // Its own process group, so that stop() can end whatever it started, even if start.ts itself hangs.
  // --exit-on-stdin-close: this process holds the other end of the child's stdin, so if the test run dies
  // without running stop() (killed, or jest torn down), the service stops with it instead of outliving it.
  const flags = ['--ready-line', '--exit-on-stdin-close'];
  const [command, args] = options.viaNpmStart
    ? ['npm', ['start', '--silent', '--', ...flags]]
    : [process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...flags]];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    output.push(line);
    if (output.length > 5_000) output.shift();
    if (process.env.E2E_VERBOSE) process.stderr.write(`${line}\n`);
  });
  // SIGTERM to start.ts (or npm) alone, which stops what it started; then anything of the group that
  // outlived it (it should not) goes too.
  const stop = async () => {
    await stopProcess(child, { graceMs: 15_000, group: true });
    child.stdin?.destroy();
  };

  try {
    const { brokerControl, ...ready } = await waitForReadyLine<ReadyLine>(child, {
      timeoutMs: 120_000,
      what: options.viaNpmStart ? 'npm start' : 'scripts/start.ts',
    });
    return {
      ...ready,
      control: new BrokerControl(brokerControl),
      pid: child.pid ?? 0,
      authHeaders: { authorization: `Bearer ${ready.token}` },
      output: () => [...output],
      closeStdin: () => child.stdin?.end(),
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-40).join('\n')}`);
  }
};
