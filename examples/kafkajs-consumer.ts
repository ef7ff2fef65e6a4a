// A consumer of the order-events topic with kafkajs: each record is parsed with the schemas the service
// publishes (`order-events-publisher/events`; inside this repository, lib/records.ts), deduplicated on ce_id,
// and handed over typed. A record it cannot read (an unknown event type or schema version, an invalid value)
// goes to onUnreadable, and is not retried: it would fail the same way every time.
import kafkajs from 'kafkajs';
// In another project: import { type OrderEventValue, parseRecord } from 'order-events-publisher/events';
import { type OrderEventValue, parseRecord } from '../lib/records.js';
import { type Deduplicator, inMemoryDeduplicator } from './deduplicator.js';

const { Kafka, logLevel } = kafkajs;

export interface OrderEventsConsumerOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  onEvent: (event: OrderEventValue) => Promise<void>;
  onUnreadable: (problem: { partition: number; offset: string; reason: string }) => Promise<void>;
  deduplicator?: Deduplicator;
  fromBeginning?: boolean;
}

export const startOrderEventsConsumer = async ({
  brokers,
  topic,
  groupId,
  onEvent,
  onUnreadable,
  deduplicator = inMemoryDeduplicator(),
  fromBeginning = false,
}: OrderEventsConsumerOptions) => {
  const consumer = new Kafka({ brokers, clientId: groupId, logLevel: logLevel.WARN }).consumer({
    groupId,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  await consumer.run({
    // Records of one order share a partition, so eachMessage sees them in order.
    eachMessage: async ({ partition, message }) => {
      const parsed = parseRecord({
        value: message.value,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [
            name,
            Array.isArray(value) ? value[0] : value,
          ]),
        ),
      });
      if (!parsed.ok) {
        await onUnreadable({ partition, offset: message.offset, reason: parsed.reason });
        return;
      }
      if (deduplicator.handled(parsed.eventId)) return;
      // Remembered only once handled: when onEvent throws, kafkajs delivers the record again.
      await onEvent(parsed.value);
      deduplicator.remember(parsed.eventId);
    },
  });
  return { stop: () => consumer.disconnect() };
};
