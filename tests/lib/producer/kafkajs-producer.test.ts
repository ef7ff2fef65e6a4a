import { describe, expect, it } from '@jest/globals';
import { BrokerUnavailableError, PublishTimeoutError } from '../../../lib/producer/errors.js';
import type { OutgoingRecord } from '../../../lib/producer/event-producer.js';
import { KafkaJsEventProducer } from '../../../lib/producer/kafkajs-producer.js';
import { testConfig } from '../../support/events.js';
import { FakeKafkaClient } from '../../support/fake-kafkajs.js';

const setUp = (
  overrides: Record<string, string> = {},
  options: { idleDisconnectMs?: number } = {},
) => {
  const client = new FakeKafkaClient();
  const producer = new KafkaJsEventProducer(testConfig(overrides), () => client, options);
  return { producer, created: client.created, fake: () => client.created[0]! };
};

const record = (key: string): OutgoingRecord => ({
  topic: 'order-events',
  key,
  value: `{"orderId":"${key}"}`,
  headers: { ce_id: key },
});
const options = { timeoutMs: 1_000 };

describe('KafkaJsEventProducer', () => {
  it('creates nothing and connects nothing until the first send', () => {
    const { created } = setUp();
    expect(created).toHaveLength(0);
  });

  it('connects once and reuses one producer across many warm sends', async () => {
    const { producer, created, fake } = setUp();
    for (let i = 0; i < 50; i += 1) await producer.send([record(`o-${i}`)], options);
    expect(created).toHaveLength(1);
    expect(fake().connects).toBe(1);
    expect(fake().sends).toHaveLength(50);
  });

  it('shares one connect among concurrent first sends', async () => {
    const { producer, created } = setUp();
    const sends = Array.from({ length: 10 }, (_, i) => producer.send([record(`o-${i}`)], options));
    await Promise.all(sends);
    expect(created).toHaveLength(1);
    expect(created[0]!.connects).toBe(1);
  });

  it('reconnects on the next send after the connection was lost', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    fake().dropConnection();
    await producer.send([record('b')], options);
    await producer.send([record('c')], options);
    expect(fake().connects).toBe(2);
  });

  it('tries to connect again after a failed connect', async () => {
    const { producer, fake } = setUp();
    const attempt = producer.send([record('a')], options);
    fake().connectFailure = new Error('Connection error: ECONNREFUSED');
    await expect(attempt).rejects.toBeInstanceOf(BrokerUnavailableError);
    fake().connectFailure = undefined;
    await expect(producer.send([record('a')], options)).resolves.toHaveLength(1);
    expect(fake().connects).toBe(2);
  });

  it('sends with the configured acks, a broker timeout within the budget, and no idempotence when disabled', async () => {
    const { producer, fake } = setUp({
      KAFKA_IDEMPOTENT: 'false',
      KAFKA_ACKS: '1',
      KAFKA_REQUEST_TIMEOUT_MS: '5000',
    });
    await producer.send([record('a')], { timeoutMs: 1_200 });
    expect(fake().sends[0]).toMatchObject({ topic: 'order-events', acks: 1, timeout: 1_200 });
    expect(fake().producerConfig).toMatchObject({
      idempotent: false,
      allowAutoTopicCreation: false,
    });
  });

  it('runs idempotent with one request in flight by default', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    expect(fake().sends[0]).toMatchObject({ acks: -1 });
    expect(fake().producerConfig).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
  });

  it('passes key, value and headers through untouched', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('o-1')], options);
    expect(fake().sends[0]!.messages).toEqual([
      { key: 'o-1', value: '{"orderId":"o-1"}', headers: { ce_id: 'o-1' } },
    ]);
  });

  it('answers one ack per record, in record order, from per-partition base offsets', async () => {
    const { producer } = setUp();
    const keys = ['o-1', 'o-2', 'o-1', 'o-3', 'o-2', 'o-1'];
    const acks = await producer.send(keys.map(record), options);
    expect(acks).toHaveLength(keys.length);
    // Records of one key share a partition and get consecutive offsets in the order given.
    const byKey = new Map<string, { partition: number; offset: string }[]>();
    keys.forEach((key, i) => {
      byKey.set(key, [...(byKey.get(key) ?? []), acks[i]!]);
    });
    for (const [, keyAcks] of byKey)
      expect(new Set(keyAcks.map((ack) => ack.partition)).size).toBe(1);
    const seen = new Set(acks.map((ack) => `${ack.partition}:${ack.offset}`));
    expect(seen.size).toBe(keys.length);
    const o1 = byKey.get('o-1')!.map((ack) => Number(ack.offset));
    expect(o1[1]! > o1[0]! && o1[2]! > o1[1]!).toBe(true);
  });

  it('wraps a kafkajs failure in BrokerUnavailableError with its Kafka error code', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    fake().sendFailure = Object.assign(
      new Error('This server is not the leader for that topic-partition'),
      { type: 'NOT_LEADER_OR_FOLLOWER' },
    );
    const failure = producer.send([record('b')], options);
    await expect(failure).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(failure).rejects.toMatchObject({ kafkaErrorCode: 'NOT_LEADER_OR_FOLLOWER' });
  });

  it('gives up with PublishTimeoutError when the broker does not answer within the budget', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    fake().hangSends = true;
    await expect(producer.send([record('b')], { timeoutMs: 30 })).rejects.toBeInstanceOf(
      PublishTimeoutError,
    );
  });

  it('disconnects on request, and connects again on the next send', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    await producer.disconnect();
    await producer.send([record('b')], options);
    expect(fake().connects).toBe(2);
  });

  it('stays connected between sends by default', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('a')], options);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake().disconnects).toBe(0);
  });

  it('disconnects after idleDisconnectMs without a send, for one-shot processes', async () => {
    const { producer, fake } = setUp({}, { idleDisconnectMs: 20 });
    await producer.send([record('a')], options);
    await producer.send([record('b')], options);
    expect(fake().disconnects).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake().disconnects).toBe(1);
  });
});
