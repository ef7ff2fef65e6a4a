/**
 * The order event as it goes onto the topic: a JSON value carrying its own identity, and CloudEvents
 * headers (Kafka protocol binding, binary content mode) so routers and consumers can tell what it is
 * without parsing the value.
 */
import { createHash, randomUUID } from 'node:crypto';
import { v5 as nameBasedUuid } from 'uuid';
import { dataschemaOf, type EventType } from './catalog.js';
import type { TraceContext } from './http/trace-context.js';
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

/** The namespace of every name-based eventId this service derives (a random UUID, fixed once). */
const EVENT_ID_NAMESPACE = 'b2c46aff-0228-4630-a28d-2c370fbd821a';

/**
 * The eventId of the index-th event of a request sent with an Idempotency-Key: a name-based UUID (version 5) of
 * the caller, the route, the key, the request (its digest, see requestDigest) and the index. A retry of that
 * request writes the same ids whatever became of the first attempt; no other caller's request can produce them,
 * and neither can another request under the same key (sent once the first one's record is gone: after its 503,
 * or once it expired), whose events consumers deduplicating on the id would otherwise drop.
 */
export const stableEventId = (of: {
  caller: string;
  route: string;
  key: string;
  request: string;
  index: number;
}): string =>
  nameBasedUuid(
    JSON.stringify([of.caller, of.route, of.key, of.request, of.index]),
    EVENT_ID_NAMESPACE,
  );

/**
 * A digest of a validated request (its events, as the schemas give them back: their keys in the schemas'
 * order, whatever order the client sent), computed once per request for its events' ids.
 */
export const requestDigest = (request: unknown): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('base64url');

export const buildOrderEvent = <Fields extends object>(
  eventType: EventType,
  orderId: string,
  fields: Fields,
  source: EventEnvelopeSource = systemEnvelopeSource,
  eventId: string = source.newId(),
): OrderEvent<Fields> => {
  const envelope = {
    eventId,
    eventType,
    orderId,
    timestamp: source.now().toISOString(),
  };
  // Spread twice: the envelope's keys come first in the JSON, and its values win over any field of the same name.
  return { ...envelope, ...fields, ...envelope };
};

/**
 * The record: its timestamp is the event's own, and, when the request had them, the trace context travels both
 * as W3C headers (what OpenTelemetry's Kafka instrumentations read) and as CloudEvents' distributed-tracing
 * extension attributes, with the correlation id as an extension attribute of its own.
 */
export const toKafkaRecord = (
  event: OrderEvent,
  topic: string,
  ceSource: string,
  trace?: TraceContext,
): OutgoingRecord => {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.eventId,
    ce_type: event.eventType,
    ce_source: ceSource,
    ce_time: event.timestamp,
    ce_subject: event.orderId,
    // Names the schema of the value, with its version (the AsyncAPI document has it under this $id).
    ce_dataschema: dataschemaOf(event.eventType),
    'content-type': 'application/json',
  };
  if (trace) {
    headers.ce_correlationid = trace.correlationId;
    if (trace.traceparent) headers.traceparent = headers.ce_traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = headers.ce_tracestate = trace.tracestate;
  }
  return {
    topic,
    // One order's events share a key, so they share a partition and stay in order.
    key: event.orderId,
    value: JSON.stringify(event),
    headers,
    timestamp: String(Date.parse(event.timestamp)),
  };
};
