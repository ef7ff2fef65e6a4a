// The example kafkajs consumer (examples/kafkajs-consumer.ts) against the embedded broker: records written as
// the service writes them (lib/events.ts), one of them twice as a retried publish would, and records it must
// not accept. It hands over each event once, typed and parsed with the exported schemas, in order.
import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { startOrderEventsConsumer } from '../../examples/kafkajs-consumer.js';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import type { OrderEventValue } from '../../lib/records.js';
import { embeddedBrokerForTests, settledWithin } from './support/harness.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'order-events';
const ORDER = 'consumer-o-1';

const broker = embeddedBrokerForTests(19420);

const written = (eventType: Parameters<typeof buildOrderEvent>[0], fields: object) =>
  toKafkaRecord(buildOrderEvent(eventType, ORDER, fields), TOPIC, '/order-events-publisher');

describe('the example kafkajs consumer', () => {
  it('parses records with the exported schemas, deduplicates on ce_id and sets aside what it cannot read', async () => {
    const created = written('order-created', {
      orderId: ORDER,
      customerId: 'c-1',
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 2 }],
      total: 2,
      currency: 'USD',
    });
    const shipped = written('order-shipped', { trackingNumber: '1Z999' });
    const fromTheFuture = written('order-shipped', { trackingNumber: '1Z1000' });
    fromTheFuture.headers.ce_dataschema = 'urn:order-events-publisher:schema:order-shipped:v9';
    const invalid = written('order-shipped', {});
    const unknownType = { ...written('order-cancelled', { reason: 'r' }) };
    unknownType.headers = { ...unknownType.headers, ce_type: 'order-teleported' };
    const cancelled = written('order-cancelled', { reason: 'customer request' });
    // All keyed by one order, so all on one partition, in this order.
    const sequence = [created, shipped, shipped, fromTheFuture, invalid, unknownType, cancelled];

    const producer = new Kafka({
      brokers: [broker().bootstrap],
      logLevel: logLevel.NOTHING,
    }).producer({ idempotent: false });
    await producer.connect();
    for (const record of sequence)
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
    await producer.disconnect();

    const events: OrderEventValue[] = [];
    const unreadable: string[] = [];
    let lastArrived: () => void = () => {};
    const cancellation = new Promise<void>((resolve) => {
      lastArrived = resolve;
    });
    const consumer = await startOrderEventsConsumer({
      brokers: [broker().bootstrap],
      topic: TOPIC,
      groupId: `example-consumer-${process.pid}`,
      fromBeginning: true,
      onEvent: async (event) => {
        events.push(event);
        if (event.eventType === 'order-cancelled') lastArrived();
      },
      onUnreadable: async ({ reason }) => {
        unreadable.push(reason);
      },
    });
    try {
      await settledWithin(cancellation, 60_000, 'the cancellation reaching the consumer');
    } finally {
      await consumer.stop();
    }

    expect(events).toEqual([created, shipped, cancelled].map((record) => JSON.parse(record.value)));
    // The value is typed by its eventType.
    const [first] = events;
    if (first?.eventType === 'order-created') expect(first.items[0]?.sku).toBe('SKU-1');
    else throw new Error('the first event is not order-created');
    expect(unreadable).toEqual([
      expect.stringContaining('ce_dataschema'),
      expect.stringContaining('trackingNumber'),
      'unknown ce_type "order-teleported"',
    ]);
  });
});
