// GET /health over the real protocol, against the embedded broker: slow/healthy cycles leave no connection and
// no listener behind, a partition whose leader is down or never answers makes the check "degraded", and a
// one-shot `serverless invoke local -f health` against a slow cluster answers by its deadline and exits.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { HEALTH_TIMEOUT_MS } from '../../lib/health.js';
import { ALL_BROKERS, embeddedBrokerForTests } from './support/harness.js';
import { type RunningService, repoRoot, startService } from './support/service.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'order-events';
const PORTS = { http: 3440, lambda: 3441, broker: 19440, redis: 19441 };
const ONE_SHOT_BROKER_PORT = 19442;
/** Far past the check's deadline: a slow check can only end by that deadline. */
const SLOW_RTT_MS = 6_000;
const SLOW_PHASE_MS = 6_000;
/** For the one-shot invocation: longer than kafkajs's longest request timeout (30 s) and the bound after it. */
const ONE_SHOT_RTT_MS = 90_000;
const EXIT_AFTER_ANSWER_BOUND_MS = 20_000;
const POLL_INTERVAL_MS = 500;
const LIST_OFFSETS = 2;

interface HealthReply {
  status: number;
  body: { status?: string; kafka?: Record<string, unknown> };
}

/** The cluster's layout, read with a client of the test's own (its connections are not the service's). */
const describeTopic = async (bootstrap: string) => {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return { brokers, partitions: topics[0]!.partitions };
  } finally {
    await admin.disconnect();
  }
};

/** Socket inodes of a process, from its file descriptors. */
const socketInodes = (pid: number): Set<string> => {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
};

/**
 * The remote port of each TCP socket the process holds to one of `ports`, in any state (a half-closed one is a
 * leak too).
 */
const connectedPorts = (pid: number, ports: ReadonlySet<number>): number[] => {
  const owned = socketInodes(pid);
  const found: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const remotePort = Number.parseInt(fields[2]?.split(':')[1] ?? '', 16);
      if (ports.has(remotePort) && owned.has(fields[9] ?? '')) found.push(remotePort);
    }
  }
  return found;
};

/** serverless-offline, the process that runs the functions: a child of scripts/start.ts. */
const offlinePid = (startPid: number): number => {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (parentPid === startPid && command.includes('serverless') && command.includes('offline'))
        return Number(entry);
    } catch {
      // gone while we looked
    }
  }
  throw new Error(`no serverless-offline child of ${startPid}`);
};

describe('GET /health against a running service', () => {
  let service: RunningService;
  let brokerPorts: Set<number>;
  let offline: number;

  const health = async (): Promise<HealthReply> => {
    const response = await fetch(`${service.http}/health`, { signal: AbortSignal.timeout(30_000) });
    return { status: response.status, body: (await response.json()) as HealthReply['body'] };
  };

  beforeAll(async () => {
    service = await startService(PORTS);
    const { brokers } = await describeTopic(service.kafkaBrokers);
    brokerPorts = new Set([PORTS.broker, ...brokers.map((broker) => broker.port)]);
    offline = offlinePid(service.pid);
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
  }, 60_000);

  /**
   * The connections of a warm check client once it has talked to every broker. kafkajs sends some metadata
   * requests to a broker picked at random (and connects it), so a count after one check depends on luck;
   * healthy checks until every broker port has a connection make it depend on the leaks alone.
   */
  const settledConnections = async (): Promise<number> => {
    for (let check = 0; check < 100; check += 1) {
      expect((await health()).status).toBe(200);
      const ports = connectedPorts(offline, brokerPorts);
      if ([...brokerPorts].every((port) => ports.includes(port))) return ports.length;
    }
    throw new Error('the health check client never connected to every broker');
  };

  it('ends twenty slow/healthy cycles with the connections it started with, and no listener warning', async () => {
    const before = await settledConnections();

    try {
      for (let cycle = 0; cycle < 20; cycle += 1) {
        await service.control.setRtt(ALL_BROKERS, SLOW_RTT_MS);
        // A monitor polling twice a second through a slowness longer than KAFKA_REQUEST_TIMEOUT_MS (5 s):
        // checks overlap, and kafkajs's own failures arrive while later checks still use the client.
        const slow: Promise<HealthReply>[] = [];
        for (let elapsed = 0; elapsed < SLOW_PHASE_MS; elapsed += POLL_INTERVAL_MS) {
          slow.push(health());
          await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        }
        for (const reply of await Promise.all(slow)) {
          expect(reply.status).toBe(503);
          expect(reply.body).toEqual({
            status: 'unavailable',
            kafka: { reachable: false, topic: TOPIC, error: 'timeout' },
          });
        }
        await service.control.setRtt(ALL_BROKERS, 0);
        // The first check after recovery already sees it: no failure is carried over.
        const recovered = await health();
        expect(recovered.status).toBe(200);
        expect(recovered.body.status).toBe('ok');
      }
    } finally {
      await service.control.setRtt(ALL_BROKERS, 0);
    }

    const after = await settledConnections();
    process.stderr.write(
      `health cycles: ${before} broker connections before 20 slow/healthy cycles, ${after} after\n`,
    );
    expect(after).toBe(before);
    expect(service.output().filter((line) => /MaxListenersExceeded/.test(line))).toEqual([]);
  }, 420_000);

  it.each([
    [
      'while the broker leading a partition of the topic is down',
      (leader: number) => service.control.brokerDown(leader),
      (leader: number) => service.control.brokerUp(leader),
    ],
    [
      // That broker still answers every other request, the metadata included.
      'by its deadline while the leader of a partition takes ListOffsets and never answers',
      (leader: number) => service.control.hang(leader, { apiKey: LIST_OFFSETS }),
      () => service.control.clearProxyFaults(),
    ],
  ])(
    'is degraded (503) %s, ok once it is over',
    async (_case, fault, clear) => {
      const { partitions } = await describeTopic(service.kafkaBrokers);
      const leader = partitions[0]!.leader;
      await fault(leader);
      let reply: HealthReply;
      try {
        reply = await health();
      } finally {
        await clear(leader);
      }
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({
        status: 'degraded',
        kafka: {
          reachable: true,
          brokers: 3,
          metadataLatencyMs: expect.any(Number),
          topic: TOPIC,
          partitions: 3,
          error: 'leader-unreachable',
        },
      });
      const recovered = await health();
      expect(recovered.status).toBe(200);
      expect(recovered.body.status).toBe('ok');
    },
    60_000,
  );
});

describe('serverless invoke local -f health', () => {
  const broker = embeddedBrokerForTests(ONE_SHOT_BROKER_PORT);

  it('answers a slow cluster by its own deadline, then exits', async () => {
    // Brokers slower than kafkajs's own request timeout, which is set to its longest: a process that waited for
    // either after answering would still be running when the bound below kills it.
    await broker().control.setRtt(ALL_BROKERS, ONE_SHOT_RTT_MS);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: broker().bootstrap,
      KAFKA_IDEMPOTENT: 'false',
      KAFKA_REQUEST_TIMEOUT_MS: '30000',
      SLS_TELEMETRY_DISABLED: '1',
    };
    delete env.NODE_OPTIONS;
    delete env.IS_OFFLINE;
    delete env.AWS_LAMBDA_RUNTIME_API;
    const invocation = spawn(
      process.execPath,
      ['node_modules/serverless/bin/serverless.js', 'invoke', 'local', '-f', 'health'],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let exitBound: NodeJS.Timeout | undefined;
    invocation.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      // Once it has answered, it must exit by itself before anything it started could end by timing out.
      if (exitBound === undefined && stdout.includes('"statusCode"'))
        exitBound = setTimeout(() => invocation.kill('SIGKILL'), EXIT_AFTER_ANSWER_BOUND_MS);
    });
    invocation.stderr.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
    });
    // A generous outer bound: only a process that would never exit on its own is killed.
    const outerKill = setTimeout(() => invocation.kill('SIGKILL'), 120_000);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve) => invocation.once('exit', (code, signal) => resolve({ code, signal })),
    );
    clearTimeout(outerKill);
    clearTimeout(exitBound);
    if (process.env.E2E_VERBOSE) process.stderr.write(stdout);

    expect(exit).toEqual({ code: 0, signal: null });
    const answer = JSON.parse(/^\{\n\s+"statusCode"[\s\S]*?\n\}$/m.exec(stdout)?.[0] ?? 'null') as {
      statusCode: number;
      body: unknown;
    };
    expect(answer.statusCode).toBe(503);
    // serverless prints a JSON body parsed.
    expect(typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: TOPIC, error: 'timeout' },
    });
    // Its own log line says how long the check took, against the deadline its configuration set.
    const logged = stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('health check failed'))
      .map((line) => JSON.parse(line) as { timeoutMs: number; durationMs: number });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.timeoutMs).toBe(HEALTH_TIMEOUT_MS);
  }, 180_000);
});
