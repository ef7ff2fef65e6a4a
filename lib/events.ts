/**
 * The order event as it goes onto the topic: a JSON value carrying its own identity, and CloudEvents
 * headers (Kafka protocol binding, binary content mode) so routers and consumers can tell what it is
 * without parsing the value.
 */
import { randomUUID } from 'node:crypto';
import { dataschemaOf, type EventType } from './catalog.js';
import type { OutgoingRecord } from './producer/event-producer.js';

export { type EventType, eventTypes } from './catalog.js';

export type OrderEvent<Fields extends object = Record<string, unknown>> = {
  eventId: string;
  eventType: EventType;
  orderId: string;
  timestamp: string;
} & Fields;

export interface EventEnvelopeSource {
  newId: () => string;
  now: () => Date;
}

export const systemEnvelopeSource: EventEnvelopeSource = {
  newId: randomUUID,
  now: () => new Date(),
};

export const buildOrderEvent = <Fields extends object>(
  eventType: EventType,
  orderId: string,
  fields: Fields,
  source: EventEnvelopeSource = systemEnvelopeSource,
): OrderEvent<Fields> => {
  const envelope = {
    eventId: source.newId(),
    eventType,
    orderId,
    timestamp: source.now().toISOString(),
  };
  // Spread twice: the envelope's keys come first in the JSON, and its values win over any field of the same name.
  return { ...envelope, ...fields, ...envelope };
};

export const toKafkaRecord = (
  event: OrderEvent,
  topic: string,
  ceSource: string,
): OutgoingRecord => ({
  topic,
  // One order's events share a key, so they share a partition and stay in order.
  key: event.orderId,
  value: JSON.stringify(event),
  headers: {
    ce_specversion: '1.0',
    ce_id: event.eventId,
    ce_type: event.eventType,
    ce_source: ceSource,
    ce_time: event.timestamp,
    ce_subject: event.orderId,
    // Names the schema of the value, with its version (the AsyncAPI document has it under this $id).
    ce_dataschema: dataschemaOf(event.eventType),
    'content-type': 'application/json',
  },
});
