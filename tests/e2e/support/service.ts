// Runs the service the way `npm start` does (scripts/start.ts: embedded broker + serverless-offline) for
// end-to-end tests, on ports of their own, and stops every process it started.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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
  brokerControl: string;
  /** The process id of scripts/start.ts (of npm, with viaNpmStart), also the id of the process group of everything it started. */
  pid: number;
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // Anything of the group that outlived start.ts (it should not) goes too.
    killGroup(child.pid);
    child.stdin?.destroy();
  };

  try {
    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the service was not ready after 120 s')),
        120_000,
      );
      child.once('exit', (code) =>
        reject(
          new Error(
            `${options.viaNpmStart ? 'npm start' : 'scripts/start.ts'} exited with ${code} before it was ready`,
          ),
        ),
      );
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const parsed = JSON.parse(line) as Partial<ReadyLine>;
        if (parsed.event !== 'ready') return;
        clearTimeout(timer);
        resolve(parsed as ReadyLine);
      });
    });
    return {
      ...ready,
      pid: child.pid!,
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

const killGroup = (pid: number | undefined) => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
};
