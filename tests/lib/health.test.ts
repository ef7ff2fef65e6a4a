import net from 'node:net';
import { describe, expect, it, jest } from '@jest/globals';
import kafkajs from 'kafkajs';
import {
  type BrokerMetadata,
  type BrokerProbe,
  categorize,
  checkHealth,
  type HealthFailure,
  HealthTimeoutError,
  healthResponse,
} from '../../lib/health.js';
import { buildOpenApiDocument } from '../../lib/openapi.js';
import { ClosableSockets, KafkaJsBrokerProbe } from '../../lib/producer/kafkajs-probe.js';
import { testConfig } from '../support/events.js';
import { FakeAdmin } from '../support/fake-admin.js';
import { openApiValidator } from '../support/openapi-validator.js';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} = kafkajs;
// kafkajs's typings declare no constructor arguments; at run time it takes the message, as its SASL code does.
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (
  message: string,
) => Error;

const validator = openApiValidator(buildOpenApiDocument());

/**
 * The report of a check whose deadline fell while a partition's leader was silent, the cluster having answered
 * (three brokers, the clock stepping 1 ms a read).
 */
const silentLeaderReport = (partitions: number) => ({
  status: 'degraded',
  kafka: {
    reachable: true,
    brokers: 3,
    metadataLatencyMs: 2,
    topic: 'order-events',
    partitions,
    error: 'leader-unreachable',
  },
});
const probe = (fetchMetadata: BrokerProbe['fetchMetadata']): BrokerProbe => ({ fetchMetadata });
const options = { topic: 'order-events', timeoutMs: 1_000 };
const healthy: BrokerMetadata = { brokers: 3, topicPartitions: 6 };

/** A clock that advances by `step` ms each time it is read. */
const steppingClock = (step: number) => {
  let now = 0;
  return () => (now += step);
};

const connectionRefused = () =>
  new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.1.23:9098', {
    broker: 'b-1.kafka.eu-west-1.amazonaws.com:9098',
  });

describe('checkHealth', () => {
  it('is ok when the broker answers, with its brokers, partitions and latency', async () => {
    const report = await checkHealth(
      probe(async () => healthy),
      { ...options, clock: steppingClock(2.345) },
    );
    expect(report).toEqual({
      status: 'ok',
      kafka: {
        reachable: true,
        brokers: 3,
        metadataLatencyMs: 2.3,
        topic: 'order-events',
        partitions: 6,
      },
    });
  });

  it('answers "unreachable" and nothing of the error, which goes to the report whole', async () => {
    const reported: HealthFailure[] = [];
    const failure = connectionRefused();
    const report = await checkHealth(
      probe(async () => Promise.reject(failure)),
      { ...options, report: (reportedFailure) => reported.push(reportedFailure) },
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 'order-events', error: 'unreachable' },
    });
    expect(JSON.stringify(report)).not.toMatch(/10\.0\.1\.23|amazonaws|ECONNREFUSED/);
    expect(reported).toEqual([{ category: 'unreachable', error: failure }]);
  });

  it('answers "timeout" by the deadline when the broker does not answer, and tells the probe to let go', async () => {
    let signal: AbortSignal | undefined;
    const reported: HealthFailure[] = [];
    const report = await checkHealth(
      probe((given) => {
        signal = given;
        return new Promise(() => undefined);
      }),
      { ...options, timeoutMs: 50, report: (failure) => reported.push(failure) },
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 'order-events', error: 'timeout' },
    });
    expect(signal?.aborted).toBe(true);
    expect(reported[0]?.category).toBe('timeout');
    expect(String(reported[0]?.error)).toBe(
      'HealthTimeoutError: Kafka did not answer within 50 ms',
    );
  });

  it('does not abort the probe when it answers in time', async () => {
    let signal: AbortSignal | undefined;
    await checkHealth(
      probe(async (given) => {
        signal = given;
        return healthy;
      }),
      options,
    );
    expect(signal?.aborted).toBe(false);
  });

  /** A check of 50 ms whose cluster answers at the clock's first step and whose leaders never do. */
  const checkWithSilentLeader = async (clockStepMs: number) => {
    let signal: AbortSignal | undefined;
    const reported: HealthFailure[] = [];
    const report = await checkHealth(
      probe((given, clusterAnswered) => {
        signal = given;
        clusterAnswered?.(healthy);
        return new Promise(() => undefined);
      }),
      {
        ...options,
        timeoutMs: 50,
        clock: steppingClock(clockStepMs),
        report: (failure) => reported.push(failure),
      },
    );
    return { report, aborted: signal?.aborted, reported };
  };

  it('is degraded by the deadline when the cluster answered but a leader never does, and tells the probe to let go', async () => {
    const { report, aborted, reported } = await checkWithSilentLeader(1);
    // The clock is read at the start, when the cluster answers (1 ms in) and at the end.
    expect(report).toEqual(silentLeaderReport(6));
    expect(aborted).toBe(true);
    expect(reported.map((failure) => failure.category)).toEqual(['leader-unreachable']);
    expect(String(reported[0]?.error)).toBe(
      'HealthTimeoutError: A leader of order-events did not answer within 50 ms',
    );
  });

  it('answers "timeout" by the deadline when the cluster answered with less than half of the time left and a leader never does', async () => {
    // The handshake and metadata took 26 ms of the 50: 24 ms is too little to call a leader hung.
    const { report, aborted, reported } = await checkWithSilentLeader(26);
    expect(report).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 'order-events', error: 'timeout' },
    });
    expect(aborted).toBe(true);
    expect(reported.map((failure) => failure.category)).toEqual(['timeout']);
    expect(String(reported[0]?.error)).toBe(
      "HealthTimeoutError: Kafka did not answer within 50 ms: the cluster's metadata took 26 ms of it, more than half, and the partitions' leaders had not all answered",
    );
  });

  it('is still degraded by the deadline when the cluster answered with exactly half of the time left', async () => {
    const { report } = await checkWithSilentLeader(25);
    expect(report).toMatchObject({ status: 'degraded', kafka: { error: 'leader-unreachable' } });
  });

  it('answers "auth-failed" when the cluster refuses the credentials, even behind kafkajs retries', async () => {
    const refused = new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed');
    const retried = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 2, retryTime: 300 });
    const report = await checkHealth(
      probe(async () => Promise.reject(retried)),
      options,
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 'order-events', error: 'auth-failed' },
    });
  });

  it('answers "topic-missing" when the cluster answers but has no such topic', async () => {
    const reported: HealthFailure[] = [];
    const report = await checkHealth(
      probe(async () => ({ brokers: 3, topicPartitions: undefined })),
      { ...options, report: (failure) => reported.push(failure) },
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: { reachable: true, topic: 'order-events', error: 'topic-missing' },
    });
    expect(reported.map((failure) => failure.category)).toEqual(['topic-missing']);
  });

  it('is degraded when a partition has no leader that answers', async () => {
    const leaderProblem = new Error('A leader of order-events did not answer', {
      cause: connectionRefused(),
    });
    const reported: HealthFailure[] = [];
    const report = await checkHealth(
      probe(async () => ({ ...healthy, leaderProblem })),
      { ...options, clock: steppingClock(1), report: (failure) => reported.push(failure) },
    );
    expect(report).toEqual({
      status: 'degraded',
      kafka: {
        reachable: true,
        brokers: 3,
        metadataLatencyMs: 1,
        topic: 'order-events',
        partitions: 6,
        error: 'leader-unreachable',
      },
    });
    expect(reported).toEqual([{ category: 'leader-unreachable', error: leaderProblem }]);
  });

  it('answers only what the documented schemas allow', async () => {
    const answers = await Promise.all([
      checkHealth(
        probe(async () => healthy),
        options,
      ),
      checkHealth(
        probe(async () => ({ ...healthy, leaderProblem: new Error('x') })),
        options,
      ),
      checkHealth(
        probe(async () => ({ brokers: 1, topicPartitions: undefined })),
        options,
      ),
      checkHealth(
        probe(async () => Promise.reject(new Error('x'.repeat(500)))),
        options,
      ),
    ]);
    const statuses = [200, 503, 503, 503];
    for (const [index, answer] of answers.entries()) {
      const status = statuses[index] ?? 0;
      expect(validator.response('/health', 'get', status, 'application/json', answer)).toEqual({
        valid: true,
        errors: [],
      });
    }
  });
});

describe('categorize', () => {
  it('names the kind of failure from the error or what caused it', () => {
    const protocolRefusal = (type: string) =>
      new KafkaJSProtocolError({ message: type, type, code: 0, retriable: false } as never);
    expect(categorize(new HealthTimeoutError('late'))).toBe('timeout');
    expect(categorize(connectionRefused())).toBe('unreachable');
    expect(
      categorize(new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out')),
    ).toBe('timeout');
    expect(
      categorize(
        new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection timeout'), {
          retryCount: 2,
          retryTime: 300,
        }),
      ),
    ).toBe('timeout');
    expect(categorize(new Error('anything else'))).toBe('unreachable');
    expect(categorize('not even an error')).toBe('unreachable');
    expect(categorize(protocolRefusal('SASL_AUTHENTICATION_FAILED'))).toBe('auth-failed');
    expect(categorize(protocolRefusal('TOPIC_AUTHORIZATION_FAILED'))).toBe('auth-failed');
    expect(categorize(protocolRefusal('NOT_LEADER_OR_FOLLOWER'))).toBe('unreachable');
    expect(
      categorize(new Error('outer', { cause: new KafkaJSSASLAuthenticationError('inner') })),
    ).toBe('auth-failed');
  });

  it('ends on an error that causes itself', () => {
    const looped = new Error('looped');
    looped.cause = looped;
    expect(categorize(looped)).toBe('unreachable');
  });
});

describe('healthResponse', () => {
  it('is 200 without Retry-After when ok, 503 with it when not (degraded too); never cached', () => {
    const facts = {
      reachable: true as const,
      brokers: 3,
      metadataLatencyMs: 1,
      topic: 't',
      partitions: 3,
    };
    const ok = healthResponse({ status: 'ok', kafka: facts }, 1);
    const degraded = healthResponse(
      { status: 'degraded', kafka: { ...facts, error: 'leader-unreachable' } },
      1,
    );
    const down = healthResponse(
      { status: 'unavailable', kafka: { reachable: false, topic: 't', error: 'timeout' } },
      1,
    );
    expect(ok).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    });
    expect(ok.headers).not.toHaveProperty('Retry-After');
    for (const unhealthy of [degraded, down]) {
      expect(unhealthy).toMatchObject({
        statusCode: 503,
        headers: {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Retry-After': '1',
        },
      });
    }
    expect(JSON.parse(down.body!)).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 't', error: 'timeout' },
    });
  });
});

/** A promise with its resolve function, to hold a fake request until the test lets it go. */
const deferred = () => {
  let release: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
};

describe('KafkaJsBrokerProbe', () => {
  /** `prepare` is applied to each new admin client as the probe creates it. */
  const setUp = () => {
    const admins: FakeAdmin[] = [];
    const fixture = {
      admins,
      prepare: ((_admin: FakeAdmin) => undefined) as (admin: FakeAdmin) => void,
      kafkaProbe: new KafkaJsBrokerProbe(testConfig(), (_config, sockets) => {
        const admin = new FakeAdmin(sockets);
        fixture.prepare(admin);
        admins.push(admin);
        return admin;
      }),
      check: (signal = new AbortController().signal) => fixture.kafkaProbe.fetchMetadata(signal),
    };
    return fixture;
  };

  it('shares one connect among concurrent first checks and reuses it afterwards', async () => {
    const { admins, check } = setUp();
    const results = await Promise.all([check(), check(), check()]);
    await check();
    expect(results).toEqual(Array(3).fill({ brokers: 3, topicPartitions: 3 }));
    expect(admins).toHaveLength(1);
    expect(admins[0]!.connects).toBe(1);
    expect(admins[0]!.sockets.isClosed).toBe(false);
  });

  it('after a failure, starts the next check on a new client and closes the failed one', async () => {
    const fixture = setUp();
    const { admins, check } = fixture;
    await check();
    admins[0]!.failure = new Error('Connection timeout');
    fixture.prepare = (admin) => {
      admin.failure = new Error('Connection timeout');
    };
    // The warm client fails, so does the new one it is retried on; a new client's failure is not retried.
    await expect(check()).rejects.toThrow('Connection timeout');
    expect(admins).toHaveLength(2);
    expect(admins.map((admin) => admin.sockets.isClosed)).toEqual([true, true]);
    fixture.prepare = () => undefined;
    await expect(check()).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins).toHaveLength(3);
    // No client is ever connected twice: a failed one is replaced, never reconnected.
    expect(admins.map((admin) => admin.connects)).toEqual([1, 1, 1]);
  });

  it('answers through a new client when a warm one fails (a connection the broker has closed)', async () => {
    const { admins, check } = setUp();
    await check();
    admins[0]!.failure = new Error('Closed connection');
    await expect(check()).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins).toHaveLength(2);
    expect(admins[0]!.sockets.isClosed).toBe(true);
    expect(admins[1]!.sockets.isClosed).toBe(false);
  });

  it('never closes a client while an overlapping check still uses it', async () => {
    const { admins, check } = setUp();
    await check();
    const held = deferred();
    admins[0]!.hold = held.promise;
    const slow = check();
    await new Promise((resolve) => setTimeout(resolve, 1));
    admins[0]!.hold = undefined;
    admins[0]!.failure = new Error('Connection error');
    // Fails on the shared client, which it retires, and answers through a new one.
    await expect(check()).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins).toHaveLength(2);
    expect(admins[0]!.sockets.isClosed).toBe(false);
    held.release();
    await expect(slow).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins[0]!.sockets.isClosed).toBe(true);
    expect(admins[0]!.connects).toBe(1);
  });

  it('lets go of a client at the check’s deadline: retired, and closed once no check uses it', async () => {
    const { admins, check } = setUp();
    await check();
    const held = deferred();
    admins[0]!.hold = held.promise;
    const deadline = new AbortController();
    const abandoned = check(deadline.signal);
    await new Promise((resolve) => setTimeout(resolve, 1));
    deadline.abort();
    expect(admins[0]!.sockets.isClosed).toBe(true);
    admins[0]!.hold = undefined;
    await expect(check()).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins).toHaveLength(2);
    // The abandoned request settling later changes nothing.
    held.release();
    await abandoned;
    expect(admins[1]!.sockets.isClosed).toBe(false);
    await check();
    expect(admins).toHaveLength(2);
  });

  it('reports a missing topic as no partitions, not as an unreachable cluster', async () => {
    const { admins, check } = setUp();
    await check();
    admins[0]!.topicError = Object.assign(
      new Error('This server does not host this topic-partition'),
      { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    );
    await expect(check()).resolves.toEqual({ brokers: 3, topicPartitions: undefined });
  });

  it('finds a leader problem when a leader is not among the brokers, or does not answer', async () => {
    const fixture = setUp();
    const { admins, check } = fixture;
    await check();
    admins[0]!.leaders = [1, -1, 2];
    const leaderless = await check();
    expect(String(leaderless.leaderProblem)).toBe(
      'Error: Partitions 1 of order-events have no leader in the metadata',
    );
    const refused = connectionRefused();
    fixture.prepare = (admin) => {
      admin.offsetsError = refused;
    };
    const silent = await check();
    expect(silent).toMatchObject({ brokers: 3, topicPartitions: 3 });
    expect(silent.leaderProblem).toEqual(
      new Error('A leader of order-events did not answer', { cause: refused }),
    );
    expect((silent.leaderProblem as Error).cause).toBe(refused);
    // Only a healthy client is kept: each unhealthy answer retired (and closed) its own.
    expect(admins).toHaveLength(2);
    expect(admins.map((admin) => admin.sockets.isClosed)).toEqual([true, true]);
  });

  it('answers a leader that never answers its ListOffsets as degraded by the deadline, a silent cluster as timeout; closing the client either way', async () => {
    const fixture = setUp();
    const { admins, kafkaProbe, check } = fixture;
    // Warm, so that the metadata comes back at once and only the leaders are left to wait for.
    await check();
    admins[0]!.offsetsHold = new Promise(() => undefined);
    const degraded = await checkHealth(kafkaProbe, {
      ...options,
      timeoutMs: 50,
      clock: steppingClock(1),
    });
    // The clock is read at the start, when the cluster answers and at the end.
    expect(degraded).toEqual(silentLeaderReport(3));
    expect(admins[0]!.sockets.isClosed).toBe(true);

    fixture.prepare = (admin) => {
      admin.hold = new Promise(() => undefined);
    };
    await expect(checkHealth(kafkaProbe, { ...options, timeoutMs: 50 })).resolves.toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 'order-events', error: 'timeout' },
    });
    expect(admins).toHaveLength(2);
    expect(admins[1]!.sockets.isClosed).toBe(true);
  });

  it('close() closes an idle client at once, a busy one when its check ends', async () => {
    const idle = setUp();
    await idle.check();
    idle.kafkaProbe.close();
    expect(idle.admins[0]!.sockets.isClosed).toBe(true);

    const busy = setUp();
    await busy.check();
    const held = deferred();
    busy.admins[0]!.hold = held.promise;
    const running = busy.check();
    await new Promise((resolve) => setTimeout(resolve, 1));
    busy.kafkaProbe.close();
    expect(busy.admins[0]!.sockets.isClosed).toBe(false);
    held.release();
    await running;
    expect(busy.admins[0]!.sockets.isClosed).toBe(true);
  });
});

describe('ClosableSockets', () => {
  it('destroys its sockets with an error when closed, and refuses new ones', async () => {
    const server = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const sockets = new ClosableSockets('the health check client');
      const connected = deferred();
      const socket = sockets.socketFactory({
        host: '127.0.0.1',
        port,
        ssl: undefined as never,
        onConnect: connected.release,
      });
      const errors: string[] = [];
      socket.on('error', (error) => errors.push(error.message));
      await connected.promise;
      expect(sockets.openCount).toBe(1);

      sockets.close();
      await new Promise((resolve) => socket.once('close', resolve));
      expect(errors).toEqual(['the health check client is closed']);
      expect(sockets.openCount).toBe(0);

      const refused = sockets.socketFactory({
        host: '127.0.0.1',
        port,
        ssl: undefined as never,
        onConnect: () => errors.push('connected after close'),
      });
      await new Promise((resolve) => refused.once('error', resolve));
      expect(refused.destroyed).toBe(true);
      expect(errors).toEqual(['the health check client is closed']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('createHealthHandler', () => {
  it('answers the category and logs the detail (a refused connection on this host)', async () => {
    const saved = { ...process.env };
    // Port 1 on the loopback: refused at once, no network involved.
    Object.assign(process.env, { KAFKA_BROKERS: '127.0.0.1:1', KAFKA_IDEMPOTENT: 'false' });
    delete process.env.IS_OFFLINE;
    delete process.env.AWS_LAMBDA_RUNTIME_API;
    const written: string[] = [];
    // Powertools writes WARN to stderr, other levels to stdout.
    const record = (chunk: string | Uint8Array) => written.push(String(chunk)) > 0;
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(record),
      jest.spyOn(process.stderr, 'write').mockImplementation(record),
    ];
    try {
      const { createHealthHandler } = await import('../../lib/health-handler.js');
      const response = await createHealthHandler()(undefined);
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body ?? '')).toEqual({
        status: 'unavailable',
        kafka: { reachable: false, topic: 'order-events', error: 'unreachable' },
      });
      const logged = written.filter((line) => line.includes('health check failed'));
      expect(logged).toHaveLength(1);
      expect(JSON.parse(logged[0] ?? '')).toMatchObject({
        level: 'WARN',
        category: 'unreachable',
        timeoutMs: 3_000,
        error: expect.stringContaining('127.0.0.1:1'),
      });
    } finally {
      for (const spy of spies) spy.mockRestore();
      process.env = saved;
    }
  });
});
