// `npm start` stops everything it started on SIGTERM (and Ctrl-C): no process and no listening port left.
// Ctrl-C signals the whole process group; a supervisor (systemd, an IDE, a CI step's timeout) may signal only
// the process it started, npm, so that case is tested through npm itself.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, expect, it } from '@jest/globals';
import { waitUntil } from './support/harness.js';
import {
  type RunningService,
  repoRoot,
  type StartOptions,
  startService,
} from './support/service.js';

const PORTS = { http: 3380, lambda: 3382, broker: 19380, redis: 19381 };
let service: RunningService | undefined;

afterAll(async () => {
  await service?.stop(); // only does anything if the test failed half-way
}, 60_000);

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the service, checks every port is served, ends it with `end`, and checks nothing is left of it. */
const expectNothingLeftAfter = async (
  end: (started: RunningService) => void,
  options: StartOptions = {},
) => {
  const started = await startService(PORTS, {}, options);
  service = started;
  for (const port of Object.values(PORTS))
    expect([port, await listening(port)]).toEqual([port, true]);

  end(started);
  expect(
    await waitUntil(
      () => groupAlive(started.pid),
      (alive) => !alive,
      { timeoutMs: 20_000 },
    ),
  ).toBe(false);
  for (const port of Object.values(PORTS))
    expect([port, await listening(port)]).toEqual([port, false]);
  service = undefined;
};

it.each(['SIGTERM', 'SIGINT'] as const)('leaves nothing behind after %s', (signal) =>
  expectNothingLeftAfter((started) => process.kill(started.pid, signal)),
);

it('leaves nothing behind when only npm, the process a supervisor started, gets SIGTERM', () =>
  // npm's own process id, not its group
  expectNothingLeftAfter((started) => process.kill(started.pid, 'SIGTERM'), { viaNpmStart: true }));

it.each(['SIGKILL', 'SIGHUP'] as const)(
  'leaves nothing behind when npm itself gets %s, which it does not pass on',
  (signal) =>
    expectNothingLeftAfter((started) => process.kill(started.pid, signal), { viaNpmStart: true }),
);

it('leaves nothing behind when the process that started it goes away without a word (its stdin closes)', () =>
  // What the kernel does for a test run that is killed outright.
  expectNothingLeftAfter((started) => started.closeStdin()));

it('repeats no Idempotency-Key store it was given, whose URL may carry a password', async () => {
  const password = 'given-redis-pw-5501';
  // Nothing listens there: the functions open the store on the first request with a key, and none comes.
  const given = `redis://:${password}@127.0.0.1:${PORTS.redis}`;
  const started = await startService(PORTS, { IDEMPOTENCY_REDIS_URL: given });
  service = started;
  expect(started.idempotencyStoreEnv).toEqual({});
  expect(started.output().join('\n')).not.toContain(password);
  await started.stop();
  service = undefined;
});

it('refuses a Redis URL the client would refuse, before it starts anything, without showing it', async () => {
  const password = 'given-redis-pw-7702';
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/start.ts'],
      {
        cwd: repoRoot,
        timeout: 60_000,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          HTTP_PORT: String(PORTS.http),
          LAMBDA_PORT: String(PORTS.lambda),
          EMBEDDED_BROKER_PORT: String(PORTS.broker),
          REDIS_PORT: String(PORTS.redis),
          IDEMPOTENCY_REDIS_URL: `redis://:${password}@127.0.0.1:70000`,
        },
      },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
  expect(code).toBe(1);
  expect(stderr).toContain('IDEMPOTENCY_REDIS_URL is not a URL the Redis client accepts');
  expect(stderr).not.toContain(password);
  for (const port of Object.values(PORTS))
    expect([port, await listening(port)]).toEqual([port, false]);
});
