// The one harness of the end-to-end tests: the embedded broker's typed control client, waiting until something
// is ready, and stopping a process we started. The service itself is started by service.ts on top of these.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from '@jest/globals';
import { type SpawnedBroker, spawnEmbeddedBroker } from '../../../scripts/embedded-broker/spawn.js';
import { stopChild } from '../../../scripts/stop-child.js';

export {
  waitForLine,
  waitForReadyLine,
} from '../../../scripts/embedded-broker/child-output.js';
export {
  ALL_BROKERS,
  BrokerControl,
  type ControlHealth,
  type ProduceLogEntry,
  type ResetOptions,
} from '../../../scripts/embedded-broker/control-client.js';
export {
  type SpawnedBroker,
  spawnEmbeddedBroker,
} from '../../../scripts/embedded-broker/spawn.js';

export interface WaitUntilOptions {
  timeoutMs: number;
  /** Between probes. Default 100 ms. */
  intervalMs?: number;
}

/**
 * Probes until `done` accepts the value or the time is up, and returns the last value either way: the caller
 * asserts on it, so a failure shows what was last seen.
 */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 100 }: WaitUntilOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * What `promise` settles with, or rejects once `timeoutMs` have passed: a wait that must not hold a test (and the
 * processes its `finally` stops) past jest's own timeout, where that `finally` would never run.
 */
export async function settledWithin<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: not within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface StopOptions {
  /** SIGKILL after this long without an exit. Default 5 s. */
  graceMs?: number;
  /** The child leads its own process group (spawned detached): end whatever of the group outlives it. */
  group?: boolean;
}

/** SIGTERM to the child's own pid, SIGKILL after the grace period; then, with `group`, SIGKILL to its group. */
export async function stopProcess(
  child: ChildProcess,
  { graceMs = 5_000, group = false }: StopOptions = {},
): Promise<void> {
  await stopChild(child, { graceMs });
  if (group && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
}

/**
 * An embedded broker on `port` for the tests of the file (or describe block) that calls this: started before
 * them and stopped after them, also when one fails. Returns the running broker's getter.
 */
export function embeddedBrokerForTests(port: number): () => SpawnedBroker {
  let broker: SpawnedBroker | undefined;
  beforeAll(async () => {
    broker = await spawnEmbeddedBroker({ port });
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  }, 60_000);
  return () => {
    if (!broker) throw new Error('the embedded broker did not start');
    return broker;
  };
}
