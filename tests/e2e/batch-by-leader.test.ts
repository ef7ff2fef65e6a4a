// A send of several records goes out as one request per leading broker, so that a broker that fails costs only
// its own records: over the real protocol, on a producer that has not sent before (a new container's first
// batch), with one broker down, what the others acknowledged is reported and is on the topic (read with kcat).
import { expect, it } from '@jest/globals';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { BrokerUnavailableError, PublishTimeoutError } from '../../lib/producer/errors.js';
import type { RecordAck } from '../../lib/producer/event-producer.js';
import { KafkaJsEventProducer } from '../../lib/producer/kafkajs-producer.js';
import { testConfig } from '../support/events.js';
import { embeddedBrokerForTests } from './support/harness.js';
import { endOffsets, orderIdsOnEveryPartition, readWithKcat } from './support/topic.js';

const broker = embeddedBrokerForTests(19480);

it("answers a new producer's first batch, one broker down, with the records the other brokers acknowledged", async () => {
  const config = testConfig({ KAFKA_BROKERS: broker().bootstrap, KAFKA_RETRIES: '1' });
  const partitions = Object.keys(await endOffsets(broker().bootstrap, config.topic)).map(Number);
  const orderIds = orderIdsOnEveryPartition(
    config.topic,
    `first-batch-${Date.now()}`,
    partitions,
    12,
  );
  const records = orderIds.map((orderId) => {
    const event = buildOrderEvent('order-cancelled', orderId, { orderId, reason: 'first batch' });
    return toKafkaRecord(event, config.topic, config.eventSource);
  });
  const producer = new KafkaJsEventProducer(config);
  // Not the seed broker: the producer still connects and learns the partitions, then one leader fails.
  const down = broker().brokerIds[1] ?? 2;
  let failure: unknown;
  await broker().control.brokerDown(down);
  try {
    failure = await producer.send(records, { timeoutMs: 3_000 }).catch((error: unknown) => error);
  } finally {
    await broker().control.brokerUp(down);
    await producer.disconnect();
  }

  expect(failure).toBeInstanceOf(Error);
  expect(failure instanceof BrokerUnavailableError || failure instanceof PublishTimeoutError).toBe(
    true,
  );
  const acknowledged = (failure as BrokerUnavailableError).acknowledged;
  const written = acknowledged.filter((ack): ack is RecordAck => ack !== undefined);
  // Some, not all: a single kafkajs send for the whole batch would have answered none.
  expect(written.length).toBeGreaterThan(0);
  expect(written.length).toBeLessThan(records.length);

  const onTopic = await readWithKcat(broker().bootstrap, config.topic);
  acknowledged.forEach((ack, index) => {
    if (!ack) return;
    const record = onTopic.find(
      ({ partition, offset }) => partition === ack.partition && offset === ack.offset,
    );
    expect(record?.key).toBe(orderIds[index]);
  });
});
