// The Kafka proxy in front of the mock brokers: it names a live controller (so kafkajs's idempotent producer
// starts), spreads partition leaders, and adds faults a broker cannot produce itself (hang, reset) plus a log
// of every Produce request. Checked with kafkajs and kcat, a client this project did not write.
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import {
  FrameSplitter,
  readCorrelationId,
  Writer,
} from '../../scripts/embedded-broker/kafka-wire.js';
import { ALL_BROKERS, embeddedBrokerForTests } from '../e2e/support/harness.js';
import { readWithKcat } from '../e2e/support/topic.js';

const PORT = 19410;
const TOPIC = 'order-events';
const PRODUCE = 0;

const running = embeddedBrokerForTests(PORT);

function connectedSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
}

/** ApiVersions v0, the first request of every client. */
const apiVersionsRequest = (correlationId: number) =>
  new Writer().int16(18).int16(0).int32(correlationId).string('raw-test').frame();

function kafka(retries: number): Kafka {
  return new Kafka({
    clientId: 'kafka-proxy-test',
    brokers: [running().bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 500,
    requestTimeout: 1_500,
    retry: { retries, initialRetryTime: 50, maxRetryTime: 200 },
  });
}

/** The production settings: idempotent, one request in flight, acks=all. kafkajs insists on a retry at least. */
async function idempotentProducer(retries = 2): Promise<Producer> {
  const producer = kafka(retries).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

const sendTo = (producer: Producer, partition: number, ceId = randomUUID()) =>
  producer.send({
    topic: TOPIC,
    acks: -1,
    messages: [{ partition, key: `key-${ceId}`, value: ceId, headers: { ce_id: ceId } }],
  });

async function withProducer<T>(use: (producer: Producer) => Promise<T>, retries = 2): Promise<T> {
  const producer = await idempotentProducer(retries);
  try {
    return await use(producer);
  } finally {
    await producer.disconnect();
  }
}

async function leaders(): Promise<Map<number, number>> {
  const admin = kafka(2).admin();
  await admin.connect();
  try {
    const [topic] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
    return new Map(topic?.partitions.map((partition) => [partition.partitionId, partition.leader]));
  } finally {
    await admin.disconnect();
  }
}

afterEach(async () => {
  await running().control.clearAllFaults();
  await running().control.clearProduced();
}, 15_000);

describe('the idempotent producer', () => {
  it('initialises against a live controller, sends, and kcat reads the records back', async () => {
    const ceIds = [randomUUID(), randomUUID(), randomUUID()];
    const sent = await withProducer((producer) =>
      producer.send({
        topic: TOPIC,
        acks: -1,
        messages: ceIds.map((ceId) => ({
          key: `key-${ceId}`,
          value: ceId,
          headers: { ce_id: ceId },
        })),
      }),
    );
    expect(sent.every((result) => result.errorCode === 0)).toBe(true);

    // Its batches carry the producer id InitProducerId gave it (a plain producer's are -1).
    const logged = (await running().control.produced()).flatMap((request) => request.records);
    expect(logged.map((record) => record.ceId).sort()).toEqual([...ceIds].sort());
    for (const record of logged) expect(record.producerId).toBeGreaterThanOrEqual(0);

    const onTopic = await readWithKcat(running().bootstrap, TOPIC, { contract: false });
    for (const ceId of ceIds)
      expect(onTopic.filter((record) => record.headers.ce_id === ceId)).toEqual([
        expect.objectContaining({ key: `key-${ceId}`, value: ceId }),
      ]);
  }, 30_000);

  it('asks the controller the proxy names for its producer id', async () => {
    const producer = kafka(2).producer({ idempotent: true, maxInFlightRequests: 1 });
    const apis: string[] = [];
    producer.on(producer.events.REQUEST, (event) => void apis.push(event.payload.apiName));
    await producer.connect();
    await producer.disconnect();
    expect(apis).toContain('InitProducerId');
  });

  it('still starts when the lowest broker is down: the controller named is a live one', async () => {
    const admin = kafka(2).admin();
    await admin.connect();
    const { brokers } = await admin.describeCluster().finally(() => admin.disconnect());
    const lowest = brokers.find(({ nodeId }) => nodeId === 1);
    expect(lowest).toBeDefined();
    await running().control.brokerDown(1);
    const producer = kafka(2).producer({ idempotent: true, maxInFlightRequests: 1 });
    const initProducerIdTo: string[] = [];
    producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'InitProducerId') initProducerIdTo.push(payload.broker);
    });
    await producer.connect();
    await producer.disconnect();
    expect(initProducerIdTo).toHaveLength(1);
    expect(initProducerIdTo[0]).not.toBe(`${lowest?.host}:${lowest?.port}`);
  });
});

describe('partition leaders', () => {
  it('are spread over the brokers', async () => {
    const byPartition = await leaders();
    expect(byPartition.size).toBe(3);
    expect(new Set(byPartition.values()).size).toBeGreaterThanOrEqual(2);
  });

  it('a broker down leaves the other brokers’ partitions writable', async () => {
    const byPartition = await leaders();
    const [downPartition, downBroker] = [...byPartition.entries()][0] ?? [0, 1];
    const others = [...byPartition.entries()].filter(([, leader]) => leader !== downBroker);
    expect(others.length).toBeGreaterThan(0);

    await withProducer(async (producer) => {
      await running().control.brokerDown(downBroker);
      for (const [partition] of others)
        expect(await sendTo(producer, partition)).toEqual([
          expect.objectContaining({ partition, errorCode: 0 }),
        ]);
      await expect(sendTo(producer, downPartition)).rejects.toThrow();
    }, 1);
  }, 30_000);
});

describe('a hang at the proxy', () => {
  it('accepts connections but never answers, until cleared', async () => {
    await running().control.hang(ALL_BROKERS);
    const socket = await connectedSocket(PORT);
    try {
      const answers = new FrameSplitter();
      const correlationIds: number[] = [];
      socket.on('data', (chunk: Buffer) => {
        for (const frame of answers.push(chunk)) correlationIds.push(readCorrelationId(frame));
      });
      socket.write(apiVersionsRequest(1));
      await expect(idempotentProducer(1)).rejects.toThrow(); // kafkajs gives up waiting
      await running().control.clearProxyFaults();
      socket.write(apiVersionsRequest(2));
      while (correlationIds.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(correlationIds).toEqual([2]); // the request sent during the hang was never answered
    } finally {
      socket.destroy();
    }
    await withProducer(async (producer) => {
      expect(await sendTo(producer, 0)).toEqual([expect.objectContaining({ errorCode: 0 })]);
    });
  }, 30_000);

  it('silences open connections too, and the requests it swallowed never reach the broker', async () => {
    const ceId = randomUUID();
    await withProducer(async (producer) => {
      await sendTo(producer, 1); // connected to partition 1's leader
      const leader = (await leaders()).get(1) ?? 0;
      await running().control.hang(leader);
      await expect(sendTo(producer, 1, ceId)).rejects.toThrow(/timed out/i);
      const swallowed = (await running().control.produced()).filter((request) =>
        request.records.some((record) => record.ceId === ceId),
      );
      expect(swallowed.length).toBeGreaterThan(0); // the first attempt, and kafkajs's retry
      for (const request of swallowed)
        expect(request).toMatchObject({
          brokerId: leader,
          outcome: 'hung',
          clientId: 'kafka-proxy-test',
        });
    }, 1);
    await running().control.clearProxyFaults();
    const onTopic = await readWithKcat(running().bootstrap, TOPIC, { contract: false });
    expect(onTopic.filter((record) => record.headers.ce_id === ceId)).toEqual([]);
  }, 30_000);
});

describe('a reset at the proxy', () => {
  it('drops the connection of the next N matching requests once they arrived, then lets requests through', async () => {
    await withProducer(async (producer) => {
      // Two: the attempt and kafkajs's one retry.
      await running().control.reset(ALL_BROKERS, { count: 2, apiKey: PRODUCE });
      await expect(sendTo(producer, 0)).rejects.toThrow(/connection/i);
      expect(await sendTo(producer, 0)).toEqual([expect.objectContaining({ errorCode: 0 })]);
    }, 1);
    const outcomes = (await running().control.produced()).map((request) => request.outcome);
    expect(outcomes).toEqual(['reset', 'reset', 'forwarded']);
  }, 30_000);

  it('resets every matching request until cleared', async () => {
    await withProducer(async (producer) => {
      await running().control.reset(ALL_BROKERS, { apiKey: PRODUCE });
      await expect(sendTo(producer, 2)).rejects.toThrow(/connection/i);
      await expect(sendTo(producer, 2)).rejects.toThrow(/connection/i);
      await running().control.clearProxyFaults();
      expect(await sendTo(producer, 2)).toEqual([expect.objectContaining({ errorCode: 0 })]);
    }, 1);
  }, 30_000);

  it('refuses a reset for a broker that does not exist', async () => {
    await expect(running().control.reset(42)).rejects.toThrow(/400/);
  });
});

describe('the produce log', () => {
  it('lists each Produce request with its broker, arrival time, keys and ce_ids, and empties on request', async () => {
    const ceId = randomUUID();
    const before = Date.now();
    await withProducer((producer) => sendTo(producer, 2, ceId));
    const leader = (await leaders()).get(2);
    const producerId = expect.any(Number);
    const entries = await running().control.produced();
    expect(entries).toEqual([
      {
        brokerId: leader,
        receivedAtMs: expect.any(Number),
        clientId: 'kafka-proxy-test',
        outcome: 'forwarded',
        records: [{ topic: TOPIC, partition: 2, key: `key-${ceId}`, ceId, producerId }],
      },
    ]);
    expect(entries[0]?.receivedAtMs).toBeGreaterThanOrEqual(before);
    await running().control.clearProduced();
    expect(await running().control.produced()).toEqual([]);
  }, 30_000);

  it('reads gzip-compressed batches too', async () => {
    const ceIds = [randomUUID(), randomUUID()];
    await withProducer((producer) =>
      producer.send({
        topic: TOPIC,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: ceIds.map((ceId) => ({
          partition: 0,
          key: `key-${ceId}`,
          value: ceId,
          headers: { ce_id: ceId },
        })),
      }),
    );
    const records = (await running().control.produced()).flatMap((request) => request.records);
    expect(records).toEqual(
      ceIds.map((ceId) => ({
        topic: TOPIC,
        partition: 0,
        key: `key-${ceId}`,
        ceId,
        producerId: expect.any(Number),
      })),
    );
  }, 30_000);
});
