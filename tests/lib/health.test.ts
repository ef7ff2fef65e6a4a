import { describe, expect, it } from '@jest/globals';
import type { Admin } from 'kafkajs';
import {
  type BrokerMetadata,
  type BrokerProbe,
  checkHealth,
  describeError,
  healthResponse,
} from '../../lib/health.js';
import { buildOpenApiDocument } from '../../lib/openapi.js';
import { KafkaJsBrokerProbe, type ProbeAdmin } from '../../lib/producer/kafkajs-probe.js';
import { testConfig } from '../support/events.js';
import { openApiValidator } from '../support/openapi-validator.js';

const validator = openApiValidator(buildOpenApiDocument());
const probe = (fetchMetadata: () => Promise<BrokerMetadata>): BrokerProbe => ({ fetchMetadata });
const options = { topic: 'order-events', timeoutMs: 1_000 };

/** A clock that advances by `step` ms each time it is read. */
const steppingClock = (step: number) => {
  let now = 0;
  return () => (now += step);
};

describe('checkHealth', () => {
  it('is ok when the broker answers, with its brokers, partitions and latency', async () => {
    const report = await checkHealth(
      probe(async () => ({ brokers: 3, topicPartitions: 6 })),
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

  it('is unavailable, and reports the error, when the broker cannot be reached', async () => {
    const reported: unknown[] = [];
    const failure = new Error('Connection error: connect ECONNREFUSED 10.0.1.23:9098');
    failure.name = 'KafkaJSConnectionError';
    const report = await checkHealth(
      probe(async () => Promise.reject(failure)),
      { ...options, report: (error) => reported.push(error) },
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: {
        reachable: false,
        topic: 'order-events',
        error: 'KafkaJSConnectionError: Connection error: connect ECONNREFUSED <broker>',
      },
    });
    expect(reported).toEqual([failure]);
  });

  it('answers by the deadline when the broker does not answer at all', async () => {
    const started = Date.now();
    const report = await checkHealth(
      probe(() => new Promise(() => undefined)),
      { ...options, timeoutMs: 50 },
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report).toMatchObject({
      status: 'unavailable',
      kafka: { reachable: false, error: 'HealthTimeoutError: Kafka did not answer within 50 ms' },
    });
  });

  it('is unavailable when the cluster answers but has no such topic', async () => {
    const report = await checkHealth(
      probe(async () => ({ brokers: 3, topicPartitions: undefined })),
      options,
    );
    expect(report).toEqual({
      status: 'unavailable',
      kafka: {
        reachable: true,
        topic: 'order-events',
        error: 'The topic order-events does not exist',
      },
    });
  });

  it('answers only what the documented schemas allow', async () => {
    const ok = await checkHealth(
      probe(async () => ({ brokers: 1, topicPartitions: 1 })),
      options,
    );
    const down = await checkHealth(
      probe(async () => Promise.reject(new Error('x'.repeat(500)))),
      options,
    );
    expect(validator.response('/health', 'get', 200, 'application/json', ok)).toEqual({
      valid: true,
      errors: [],
    });
    expect(validator.response('/health', 'get', 503, 'application/json', down)).toEqual({
      valid: true,
      errors: [],
    });
  });
});

describe('describeError', () => {
  it('keeps the first line, without broker addresses or secrets, at most 200 characters', () => {
    const error = new Error(
      'SASL SCRAM failed for hunter2 on b-1.kafka.eu-west-1.amazonaws.com:9096 and [::1]:9092\nstack-ish detail',
    );
    expect(describeError(error, ['hunter2'])).toBe(
      'Error: SASL SCRAM failed for [redacted] on <broker> and <broker>',
    );
    expect(describeError('x'.repeat(300))).toHaveLength(200);
  });
});

describe('healthResponse', () => {
  it('is 200 without Retry-After when ok, 503 with it when not; never cached', () => {
    const ok = healthResponse(
      {
        status: 'ok',
        kafka: { reachable: true, brokers: 3, metadataLatencyMs: 1, topic: 't', partitions: 3 },
      },
      1,
    );
    const down = healthResponse(
      { status: 'unavailable', kafka: { reachable: false, topic: 't', error: 'e' } },
      1,
    );
    expect(ok).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    });
    expect(ok.headers).not.toHaveProperty('Retry-After');
    expect(down).toMatchObject({
      statusCode: 503,
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'Retry-After': '1',
      },
    });
    expect(JSON.parse(down.body!)).toEqual({
      status: 'unavailable',
      kafka: { reachable: false, topic: 't', error: 'e' },
    });
  });
});

/** Stands in for kafkajs's admin client: counts connects, answers metadata, fails on demand. */
class FakeAdmin implements ProbeAdmin {
  connects = 0;
  disconnects = 0;
  failure: Error | undefined;
  topicError: Error | undefined;

  connect: Admin['connect'] = async () => {
    this.connects += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
  };

  disconnect: Admin['disconnect'] = async () => {
    this.disconnects += 1;
  };

  describeCluster: Admin['describeCluster'] = async () => {
    if (this.failure) throw this.failure;
    return {
      brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: 'localhost', port: 9090 + nodeId })),
      controller: 1,
      clusterId: 'c',
    };
  };

  fetchTopicMetadata: Admin['fetchTopicMetadata'] = async (request) => {
    if (this.topicError) throw this.topicError;
    const name = request?.topics?.[0] ?? '';
    const partitions = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    return { topics: [{ name, partitions }] };
  };
}

describe('KafkaJsBrokerProbe', () => {
  const setUp = () => {
    const admins: FakeAdmin[] = [];
    const kafkaProbe = new KafkaJsBrokerProbe(testConfig(), () => {
      admins.push(new FakeAdmin());
      return admins.at(-1)!;
    });
    return { kafkaProbe, admins };
  };

  it('shares one connect among concurrent first checks and reuses it afterwards', async () => {
    const { kafkaProbe, admins } = setUp();
    const results = await Promise.all([
      kafkaProbe.fetchMetadata(),
      kafkaProbe.fetchMetadata(),
      kafkaProbe.fetchMetadata(),
    ]);
    await kafkaProbe.fetchMetadata();
    expect(results).toEqual(Array(3).fill({ brokers: 3, topicPartitions: 3 }));
    expect(admins).toHaveLength(1);
    expect(admins[0]!.connects).toBe(1);
  });

  it('starts from a fresh connection after a failure', async () => {
    const { kafkaProbe, admins } = setUp();
    await kafkaProbe.fetchMetadata();
    admins[0]!.failure = new Error('Connection timeout');
    await expect(kafkaProbe.fetchMetadata()).rejects.toThrow('Connection timeout');
    admins[0]!.failure = undefined;
    await expect(kafkaProbe.fetchMetadata()).resolves.toEqual({ brokers: 3, topicPartitions: 3 });
    expect(admins[0]!.disconnects).toBe(1);
    expect(admins[0]!.connects).toBe(2);
  });

  it('reports a missing topic as no partitions, not as an unreachable cluster', async () => {
    const { kafkaProbe, admins } = setUp();
    await kafkaProbe.fetchMetadata();
    admins[0]!.topicError = Object.assign(
      new Error('This server does not host this topic-partition'),
      { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    );
    await expect(kafkaProbe.fetchMetadata()).resolves.toEqual({
      brokers: 3,
      topicPartitions: undefined,
    });
  });
});
