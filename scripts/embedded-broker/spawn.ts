// Starts scripts/embedded-broker/main.ts as a child process (for npm start and the end-to-end tests). A separate process keeps
// librdkafka's native threads out of jest's VM and lets faults be injected over the loopback control API.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../stop-child.js';
import { waitForReadyLine } from './child-output.js';
import { BrokerControl } from './control-client.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainScript = path.join(repoRoot, 'scripts/embedded-broker/main.ts');

export interface SpawnOptions {
  /** Bootstrap port; default is the child's own default (EMBEDDED_BROKER_PORT or 9092). */
  port?: number;
  readyTimeoutMs?: number;
}

export interface SpawnedBroker {
  bootstrap: string;
  controlUrl: string;
  brokerIds: number[];
  pid: number;
  /** The control API: faults, the produce log. */
  control: BrokerControl;
  stop(): Promise<void>;
}

interface ReadyLine {
  event: 'ready';
  bootstrap: string;
  control: string;
  brokerIds: number[];
}

export async function spawnEmbeddedBroker(options: SpawnOptions = {}): Promise<SpawnedBroker> {
  const env = { ...process.env };
  // jest's --experimental-vm-modules (and any inspector flags) are for the test runner, not the broker.
  delete env.NODE_OPTIONS;
  if (options.port !== undefined) env.EMBEDDED_BROKER_PORT = String(options.port);

  // node with tsx's loader, no tsx CLI in between: a signal reaches the broker itself (the CLI would relay it,
  // and SIGKILL a child that does not confirm within 30 ms), and PATH does not have to contain node.
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript, '--exit-on-stdin-close'], {
    cwd: repoRoot,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderrTail = captureStderr(child);
  // 'error' without 'exit' happens when the process could not be spawned at all.
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()).once('error', () => resolve()),
  );
  const stop = () => stopBroker(child, exited);

  let ready: ReadyLine;
  try {
    ready = await waitForReadyLine<ReadyLine>(child, {
      timeoutMs: options.readyTimeoutMs ?? 20_000,
      what: 'embedded broker',
    });
  } catch (error) {
    await stop();
    throw new Error(
      `${(error as Error).message}\n--- embedded broker stderr ---\n${stderrTail.join('\n')}`,
    );
  }

  return {
    bootstrap: ready.bootstrap,
    controlUrl: ready.control,
    brokerIds: ready.brokerIds,
    pid: child.pid ?? 0,
    control: new BrokerControl(ready.control),
    stop,
  };
}

function captureStderr(child: ChildProcessWithoutNullStreams): string[] {
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 50) tail.shift();
    if (process.env.EMBEDDED_BROKER_VERBOSE) process.stderr.write(`${line}\n`);
  });
  return tail;
}

/** SIGTERM to exactly our child's pid (SIGKILL if it hangs); its stdin closed too, which it watches
 * (--exit-on-stdin-close). */
async function stopBroker(
  child: ChildProcessWithoutNullStreams,
  exited: Promise<void>,
): Promise<void> {
  await stopChild(child);
  child.stdin.end();
  await exited;
}
