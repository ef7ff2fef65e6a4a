// A container initialised ahead of its traffic connects its producer while it initialises (lib/runtime.ts):
// over the real protocol, KafkaJsEventProducer.connect() leaves nothing for the sends after it to connect.
import { describe, expect, it } from '@jest/globals';
import type { ISocketFactory } from 'kafkajs';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { createKafkaClient, KafkaJsEventProducer } from '../../lib/producer/kafkajs-producer.js';
import { testConfig } from '../support/events.js';
import { embeddedBrokerForTests } from './support/harness.js';

const broker = embeddedBrokerForTests(19470);

/** The service's producer, on kafkajs, with every connection it opens listed (host:port). */
const listedProducer = () => {
  const config = testConfig({ KAFKA_BROKERS: broker().bootstrap });
  const opened: string[] = [];
  const producer = new KafkaJsEventProducer(config, (clientConfig, socketFactory) =>
    createKafkaClient(clientConfig, ((options) => {
      opened.push(`${options.host}:${options.port}`);
      return socketFactory(options);
    }) satisfies ISocketFactory),
  );
  /** One record per order: enough orders that their keys reach every partition. */
  const sendOrders = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const event = buildOrderEvent('order-created', `o-ahead-${i}`, { orderId: `o-ahead-${i}` });
      const { key, value, headers } = toKafkaRecord(event, config.topic, config.eventSource);
      await producer.send([{ topic: config.topic, key, value, headers }], { timeoutMs: 5_000 });
    }
  };
  return { producer, opened, sendOrders };
};

describe('connecting ahead of the first send', () => {
  it('connects every broker that leads a partition: the sends after it open no connection', async () => {
    const { producer, opened, sendOrders } = listedProducer();
    try {
      await producer.connect();
      const connectedAhead = [...opened];
      await sendOrders(24);
      expect(opened).toEqual(connectedAhead);
      // The seed broker and the three brokers the partitions' leaders spread over (each its own port).
      expect(new Set(opened.slice(1)).size).toBe(3);
    } finally {
      await producer.disconnect();
    }
  });

  it('without it, the sends connect the leaders themselves', async () => {
    const { producer, opened, sendOrders } = listedProducer();
    try {
      await sendOrders(24);
      expect(new Set(opened.slice(1)).size).toBe(3);
    } finally {
      await producer.disconnect();
    }
  });
});
