// Graceful shutdown: on SIGTERM a container's producer disconnects from the broker before the process exits.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, it } from '@jest/globals';
import {
  embeddedBrokerForTests,
  settledWithin,
  stopProcess,
  waitForLine,
} from './support/harness.js';
import { repoRoot } from './support/service.js';

const broker = embeddedBrokerForTests(19330);

it('disconnects the producer on SIGTERM, then exits 0', async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: broker().bootstrap,
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
  };
  delete env.NODE_OPTIONS;
  const container = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/e2e/support/invoke-then-wait.ts'],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    container.once('exit', (code) => resolve(code)),
  );
  try {
    createInterface({ input: container.stdout }).on('line', (line) => lines.push(line));
    const receipt = await waitForLine(container, (line) => line.includes('"eventType"'), {
      timeoutMs: 60_000,
      what: 'the container',
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${lines.join('\n')}`);
    });
    expect(JSON.parse(receipt)).toMatchObject({
      eventType: 'order-cancelled',
      topic: 'order-events',
    });

    container.kill('SIGTERM');
    expect(await settledWithin(exited, 30_000, 'the container exiting after SIGTERM')).toBe(0);
    expect(lines.map((line) => (line.startsWith('{') ? JSON.parse(line).message : line))).toContain(
      'SIGTERM: Kafka producer disconnected',
    );
  } finally {
    await stopProcess(container, { graceMs: 0 });
  }
});
