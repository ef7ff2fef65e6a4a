import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { type ISocketFactory, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import {
  BrokerUnavailableError,
  BudgetSpentError,
  PublishTimeoutError,
} from '../../../lib/producer/errors.js';
import type { OutgoingRecord } from '../../../lib/producer/event-producer.js';
import { KafkaJsEventProducer } from '../../../lib/producer/kafkajs-producer.js';
import { testConfig } from '../../support/events.js';
import { FakeKafkaClient } from '../../support/fake-kafkajs.js';

const setUp = (
  overrides: Record<string, string> = {},
  options: { idleDisconnectMs?: number } = {},
) => {
  const client = new FakeKafkaClient();
  const socketFactories: ISocketFactory[] = [];
  const producer = new KafkaJsEventProducer(
    testConfig(overrides),
    (_config, socketFactory) => {
      socketFactories.push(socketFactory);
      return client;
    },
    options,
  );
  return { producer, created: client.created, fake: () => client.created[0]!, socketFactories };
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

  it('connects again after a failed connect, on a new producer (a failed connect can leave a kafkajs client wedged)', async () => {
    const { producer, created, fake } = setUp();
    const attempt = producer.send([record('a')], options);
    fake().connectFailure = new Error('Connection error: ECONNREFUSED');
    await expect(attempt).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(producer.send([record('a')], options)).resolves.toHaveLength(1);
    expect(created).toHaveLength(2);
    expect(created[1]!.connects).toBe(1);
  });

  it('sends on a new producer after a connect ahead failed (a provisioned container that could not reach Kafka)', async () => {
    const { producer, created, fake } = setUp();
    const ahead = producer.connect();
    fake().connectFailure = new Error('Connection error: ECONNREFUSED');
    await expect(ahead).rejects.toThrow('ECONNREFUSED');
    await expect(producer.send([record('a')], options)).resolves.toHaveLength(1);
    expect(created).toHaveLength(2);
    expect(producer.retiredGenerations).toBe(1);
  });

  it('keeps its producer when a connect ahead could not reach a leader (it may be serving requests by then)', async () => {
    // A client with kafkajs's private cluster factory, as kafkajs-leaders.ts finds it: its cluster knows two
    // leaders, and one of them cannot be connected.
    const client = new FakeKafkaClient();
    const cluster = {
      findTopicPartitionMetadata: () => [
        { partitionId: 0, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 },
        { partitionId: 1, leader: 2, replicas: [2], isr: [2], partitionErrorCode: 0 },
      ],
      findBroker: async ({ nodeId }: { nodeId: number }) => {
        if (nodeId === 2) throw new Error('Connection error: connect ECONNREFUSED');
        return {};
      },
    };
    const createCluster = Symbol('private:Kafka:createCluster');
    const withCluster = Object.assign(Object.create(client) as FakeKafkaClient, {
      [createCluster]: () => cluster,
      producer: (options: Parameters<FakeKafkaClient['producer']>[0]) => {
        (withCluster as unknown as Record<symbol, () => unknown>)[createCluster]?.();
        return client.producer(options);
      },
    });
    const producer = new KafkaJsEventProducer(testConfig(), () => withCluster);
    await expect(producer.connect()).rejects.toThrow('ECONNREFUSED');
    expect(producer.retiredGenerations).toBe(0);
    await producer.send([record('a')], options);
    expect(client.created).toHaveLength(1);
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

  it('does not disconnect idle while a send is still under way after another one ended', async () => {
    const { producer, fake } = setUp({}, { idleDisconnectMs: 20 });
    await producer.send([record('a')], options);
    let release: () => void = () => undefined;
    fake().sendGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = producer.send([record('b')], options);
    while (fake().sends.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    fake().sendGate = undefined;
    // This one ends while the slow one waits on the broker: no idle disconnect may start under the slow one.
    await producer.send([record('c')], options);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake().disconnects).toBe(0);
    release();
    await slow;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake().disconnects).toBe(1);
  });

  it('refuses a send whose budget is already spent, and sends nothing', async () => {
    const { producer, created } = setUp();
    await expect(producer.send([record('a')], { timeoutMs: 0 })).rejects.toBeInstanceOf(
      BudgetSpentError,
    );
    expect(created).toHaveLength(0);
  });

  it('retires the producer whose send outlived its deadline: its sockets close and it may open no more', async () => {
    const server = net.createServer();
    const accepted: net.Socket[] = [];
    server.on('connection', (socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const { producer, fake, socketFactories } = setUp();
      await producer.send([record('a')], options);
      const openSocket = socketFactories[0]!;
      const socket = await new Promise<net.Socket>((resolve) => {
        const opened = openSocket({
          host: '127.0.0.1',
          port,
          ssl: false,
          onConnect: () => resolve(opened),
        } as never);
        // kafkajs listens for the error a retirement destroys its sockets with; so does this stand-in.
        opened.on('error', () => undefined);
      });
      fake().hangSends = true;
      await expect(producer.send([record('b')], { timeoutMs: 30 })).rejects.toBeInstanceOf(
        PublishTimeoutError,
      );
      expect(socket.destroyed).toBe(true);
      // No new connection: what it hands kafkajs is a socket already destroyed, with the reason.
      const refused = openSocket({ host: '127.0.0.1', port, ssl: false } as never);
      const reason = await new Promise<Error>((resolve) => refused.once('error', resolve));
      expect(refused.destroyed).toBe(true);
      expect(reason.message).toMatch(/retired/);
      expect(producer.retiredGenerations).toBe(1);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends the next request on a new producer, which waits behind nothing of the abandoned send', async () => {
    const { producer, created } = setUp();
    await producer.send([record('a')], options);
    created[0]!.hangSends = true;
    await expect(producer.send([record('b')], { timeoutMs: 30 })).rejects.toBeInstanceOf(
      PublishTimeoutError,
    );
    expect(created[0]!.disconnects).toBe(1);
    await expect(producer.send([record('c')], options)).resolves.toHaveLength(1);
    expect(created).toHaveLength(2);
    expect(created[1]!.connects).toBe(1);
    expect(created[1]!.sends.map(({ messages }) => messages[0]!.key)).toEqual(['c']);
  });

  it('sends a batch as one request per leading broker once the leaders are known, and reports what one broker acknowledged when another fails', async () => {
    const { producer, fake } = setUp();
    await producer.send([record('connects')], options);
    fake().leaders = [1, 2, 1, 2];
    await producer.send([record('learns the leaders')], options);
    const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    await producer.send(keys.map(record), options);
    const batchSends = fake().sends.slice(2);
    expect(batchSends).toHaveLength(2);
    for (const send of batchSends) {
      const leaders = new Set(send.messages.map(({ partition }) => fake().leaders[partition!]));
      expect(leaders.size).toBe(1);
    }

    fake().downBroker = 2;
    const failure = await producer.send(keys.map(record), options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BrokerUnavailableError);
    const { acknowledged } = failure as BrokerUnavailableError;
    expect(acknowledged).toHaveLength(keys.length);
    const sentToBroker1 = fake()
      .sends.slice(-2)
      .flatMap(({ messages }) => messages)
      .filter(({ partition }) => fake().leaders[partition!] === 1)
      .map(({ key }) => key);
    expect(sentToBroker1.length).toBeGreaterThan(0);
    keys.forEach((key, i) => {
      if (sentToBroker1.includes(key))
        expect(acknowledged[i]).toMatchObject({ topic: 'order-events' });
      else expect(acknowledged[i]).toBeUndefined();
    });
  });

  it('keeps each record on the partition its key maps to when it splits a batch by broker', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    const single = setUp();
    const split = setUp();
    await split.producer.send([record('warm-up')], options);
    split.fake().leaders = [1, 2, 1, 2];
    await split.producer.send([record('warm-up')], options);
    const unsplit = await Promise.all(
      keys.map((key) => single.producer.send([record(key)], options)),
    );
    const splitAcks = await split.producer.send(keys.map(record), options);
    expect(splitAcks.map(({ partition }) => partition)).toEqual(
      unsplit.map(([ack]) => ack!.partition),
    );
  });

  it('keeps its producer when the broker refused with an error code', async () => {
    const { producer, created, fake } = setUp();
    await producer.send([record('a')], options);
    fake().sendFailure = Object.assign(new Error('not the leader'), {
      type: 'NOT_LEADER_OR_FOLLOWER',
    });
    await expect(producer.send([record('b')], options)).rejects.toBeInstanceOf(
      BrokerUnavailableError,
    );
    fake().sendFailure = undefined;
    await producer.send([record('c')], options);
    expect(created).toHaveLength(1);
  });

  it("keeps its producer, and names the code, when kafkajs's retries of a broker's error ran out", async () => {
    const { producer, created, fake } = setUp();
    await producer.send([record('a')], options);
    // What kafkajs 2.2.4 throws when a retriable error code outlasts its retries.
    const answered = new KafkaJSProtocolError(
      Object.assign(new Error('Messages are rejected since there are fewer in-sync replicas'), {
        type: 'NOT_ENOUGH_REPLICAS',
        code: 19,
        retriable: true,
      }),
    );
    fake().sendFailure = new KafkaJSNumberOfRetriesExceeded(answered, {
      retryCount: 5,
      retryTime: 100,
    });
    await expect(producer.send([record('b')], options)).rejects.toMatchObject({
      name: 'BrokerUnavailableError',
      kafkaErrorCode: 'NOT_ENOUGH_REPLICAS',
    });
    fake().sendFailure = undefined;
    await producer.send([record('c')], options);
    expect(created).toHaveLength(1);
  });

  it.each([
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45],
    ['UNKNOWN_PRODUCER_ID', 59],
    ['INVALID_PRODUCER_EPOCH', 47],
    ['INVALID_PRODUCER_ID_MAPPING', 49],
    // Appended, maybe, but not acknowledged: kafkajs takes the sequence back, and the next batch would be taken
    // for a duplicate of the appended one.
    ['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 20],
    ['REQUEST_TIMED_OUT', 7],
  ])(
    'starts a new producer (a new producer id) after the broker answers %s',
    async (type, code) => {
      const { producer, created, fake } = setUp();
      await producer.send([record('a')], options);
      // kafkajs 2.2.4 gives up at once on these (not retriable) and throws the broker's error itself.
      fake().sendFailure = new KafkaJSProtocolError(
        Object.assign(new Error(`the broker answered ${type}`), { type, code, retriable: false }),
      );
      await expect(producer.send([record('b')], options)).rejects.toMatchObject({
        name: 'BrokerUnavailableError',
        kafkaErrorCode: type,
      });
      await producer.send([record('c')], options);
      expect(created).toHaveLength(2);
      expect(producer.retiredGenerations).toBe(1);
    },
  );

  it('connects ahead of the first send on request, and the first send reuses that connection', async () => {
    const { producer, created } = setUp();
    await producer.connect();
    expect(created).toHaveLength(1);
    expect(created[0]!.connects).toBe(1);
    // The topic's metadata is fetched by a send of no records, which writes nothing.
    expect(created[0]!.sends).toEqual([
      expect.objectContaining({ topic: testConfig().topic, messages: [] }),
    ]);
    await producer.send([record('a')], options);
    expect(created[0]!.connects).toBe(1);
    expect(created[0]!.sends).toHaveLength(2);
    expect(created[0]!.sends[1]!.messages).toHaveLength(1);
  });
});
