// Proves the embedded broker speaks real Kafka to real clients (kafkajs and kcat), and that its fault
// injection reaches those clients. Runs on port 19092 so a dev broker on 9092 can stay up.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { Kafka, type KafkaMessage, logLevel, type Producer, type RecordMetadata } from 'kafkajs';
import { embeddedBrokerForTests } from '../e2e/support/harness.js';

const PORT = 19092;
const TOPIC = 'order-events';
const PRODUCE_API_KEY = 0;
const NOT_LEADER_OR_FOLLOWER = 6;

const execFileAsync = promisify(execFile);
const running = embeddedBrokerForTests(PORT);

/** Small timeouts so outages surface in seconds; `retries` decides whether kafkajs may ride out an error. */
function kafka(retries: number): Kafka {
  return new Kafka({
    clientId: 'embedded-broker-test',
    brokers: [running().bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 500,
    requestTimeout: 2_000,
    retry: { retries, initialRetryTime: 50, maxRetryTime: 200 },
  });
}

// Not idempotent here: these tests count and fail single attempts (kafka-proxy.test.ts covers idempotence).
async function connectedProducer(retries: number): Promise<Producer> {
  const producer = kafka(retries).producer({ idempotent: false, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

async function sendOne(producer: Producer, value = randomUUID()): Promise<RecordMetadata> {
  const [metadata] = await producer.send({
    topic: TOPIC,
    acks: -1,
    messages: [{ key: `k-${value}`, value }],
  });
  if (!metadata) throw new Error('no record metadata returned');
  return metadata;
}

async function withProducer<T>(
  retries: number,
  use: (producer: Producer) => Promise<T>,
): Promise<T> {
  const producer = await connectedProducer(retries);
  try {
    return await use(producer);
  } finally {
    await producer.disconnect();
  }
}

describe('embedded broker', () => {
  it('reports a bootstrap on the requested port and the mock broker ids', () => {
    expect(running().bootstrap).toBe(`localhost:${PORT}`);
    expect(running().brokerIds).toEqual([1, 2, 3]);
  });

  it('round-trips a keyed record with headers through kafkajs producer, consumer group and kcat', async () => {
    const runId = randomUUID();
    const key = `order-${runId}`;
    const value = JSON.stringify({ orderId: runId, type: 'OrderCreated' });
    const headers = { 'event-type': 'OrderCreated', 'correlation-id': runId };

    const [sent] = await withProducer(2, (producer) =>
      producer.send({ topic: TOPIC, acks: -1, messages: [{ key, value, headers }] }),
    );
    expect(sent).toMatchObject({ topicName: TOPIC, errorCode: 0 });
    const partition = sent!.partition;
    const offset = sent!.baseOffset!;

    const consumed = await consumeFirst((message) => message.key?.toString() === key);
    expect(consumed.partition).toBe(partition);
    expect(consumed.message.offset).toBe(offset);
    expect(consumed.message.value?.toString()).toBe(value);
    expect(consumed.message.headers?.['event-type']?.toString()).toBe('OrderCreated');
    expect(consumed.message.headers?.['correlation-id']?.toString()).toBe(runId);

    const { stdout } = await execFileAsync(
      'kcat',
      ['-b', `localhost:${PORT}`, '-t', TOPIC, '-C', '-J', '-e', '-q', '-o', 'beginning'],
      { timeout: 15_000 },
    );
    const records = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as KcatRecord);
    const record = records.find((candidate) => candidate.key === key);
    expect(record).toMatchObject({
      topic: TOPIC,
      partition,
      offset: Number(offset),
      key,
      payload: value,
    });
    expect(record?.headers).toEqual(['event-type', 'OrderCreated', 'correlation-id', runId]);
  }, 30_000);

  it('fails a produce while every broker is down and recovers on the same producer once they are up', async () => {
    const { control: faults, brokerIds } = running();
    await withProducer(1, async (producer) => {
      await sendOne(producer); // connected and warmed up before the outage
      await Promise.all(brokerIds.map((id) => faults.brokerDown(id)));
      try {
        // Seen: "Closed connection" (open sockets are dropped, reconnects refused), in well under a second.
        await expect(sendOne(producer)).rejects.toThrow(/connection/i);
        // A newcomer cannot even bootstrap: the proxy finds no broker accepting connections.
        await expect(connectedProducer(0)).rejects.toThrow(/connection/i);
      } finally {
        await Promise.all(brokerIds.map((id) => faults.brokerUp(id)));
      }
      expect(await sendOne(producer)).toMatchObject({ topicName: TOPIC, errorCode: 0 });
    });
  }, 30_000);

  it('lets kafkajs retry Produce through pushed NOT_LEADER_OR_FOLLOWER errors', async () => {
    const { control: faults } = running();
    // Without retries the injected error reaches the caller: proof that injection hits Produce.
    await withProducer(0, async (producer) => {
      await faults.pushRequestErrors(PRODUCE_API_KEY, [NOT_LEADER_OR_FOLLOWER]);
      await expect(sendOne(producer)).rejects.toThrow(/not the leader/i);
    });

    await withProducer(5, async (producer) => {
      const produceRequests = countRequests(producer, 'Produce');
      await faults.pushRequestErrors(PRODUCE_API_KEY, [
        NOT_LEADER_OR_FOLLOWER,
        NOT_LEADER_OR_FOLLOWER,
      ]);
      expect(await sendOne(producer)).toMatchObject({ topicName: TOPIC, errorCode: 0 });
      expect(produceRequests()).toBe(3); // two rejected attempts, then the one that landed
    });
  }, 20_000);

  it('clears pushed request errors', async () => {
    const { control: faults } = running();
    await faults.pushRequestErrors(PRODUCE_API_KEY, [NOT_LEADER_OR_FOLLOWER]);
    await faults.clearRequestErrors();
    await withProducer(0, async (producer) => {
      expect(await sendOne(producer)).toMatchObject({ errorCode: 0 });
    });
  }, 20_000);

  it('adds broker round-trip time to responses', async () => {
    // Told by outcome, not by a stopwatch: a round trip longer than the client's request timeout (2 s) fails
    // the send, and the same send succeeds once the round trip is back to none.
    const { control: faults, brokerIds } = running();
    await withProducer(0, async (producer) => {
      await sendOne(producer);
      await Promise.all(brokerIds.map((id) => faults.setRtt(id, 3_000)));
      try {
        await expect(sendOne(producer)).rejects.toThrow(/timed out/i);
      } finally {
        await Promise.all(brokerIds.map((id) => faults.setRtt(id, 0)));
      }
      expect(await sendOne(producer)).toMatchObject({ topicName: TOPIC, errorCode: 0 });
    });
  }, 20_000);

  it('rejects fault requests for brokers that do not exist', async () => {
    await expect(running().control.brokerDown(42)).rejects.toThrow(/400/);
  });
});

interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Joins a fresh consumer group from the beginning and resolves with the first message matching. */
async function consumeFirst(
  matches: (message: KafkaMessage) => boolean,
  timeoutMs = 20_000,
): Promise<{ partition: number; message: KafkaMessage }> {
  // The mock holds a Fetch for maxWaitTimeInMs when there is nothing new, and disconnect() waits for it.
  const consumer = kafka(2).consumer({
    groupId: `embedded-broker-test-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (!matches(message)) return;
            clearTimeout(timer);
            resolve({ partition, message });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

function countRequests(producer: Producer, apiName: string): () => number {
  let count = 0;
  producer.on(producer.events.REQUEST, (event) => {
    if (event.payload.apiName === apiName) count += 1;
  });
  return () => count;
}
