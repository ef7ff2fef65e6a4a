/**
 * GET /asyncapi.json: the topic as an AsyncAPI 3.0 document, generated from the zod schemas consumers can
 * import (lib/records.ts), as the OpenAPI document is from the request schemas. One message per event type:
 * its value (envelope and fields, as written), its key (orderId), its CloudEvents headers and its Kafka
 * bindings. Schemas are JSON Schema draft-07, the dialect AsyncAPI's own schema format extends.
 */
import * as z from 'zod/mini';
import {
  dataschemaOf,
  type EventType,
  eventCatalog,
  eventTypes,
  functionNameOf,
} from './catalog.js';
import { recordHeadersSchemaOf, recordValueSchemas } from './records.js';
import { orderIdSchema } from './schemas.js';

/** lib/config.ts's default for ORDER_EVENTS_TOPIC; the committed asyncapi.json is written for it. */
export const DEFAULT_TOPIC = 'order-events';
const KAFKA_BINDING_VERSION = '0.5.0';

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodMiniType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-07', io: 'output' });
  return rest;
};

/** A record value's schema, under the $id that its records' ce_dataschema names. */
export const valueJsonSchema = (eventType: EventType): JsonSchema => ({
  $id: dataschemaOf(eventType),
  ...jsonSchema(recordValueSchemas[eventType]),
});

const headerDescriptions: Record<string, string> = {
  ce_specversion: 'CloudEvents spec version.',
  ce_id: 'The eventId of the value: deduplicate on it.',
  ce_type: 'The eventType of the value.',
  ce_source: 'CLOUDEVENTS_SOURCE of the publishing service.',
  ce_time: 'The timestamp of the value.',
  ce_subject: 'The orderId of the value (and the record key).',
  ce_dataschema: "The $id of this message's payload schema, with its version.",
  'content-type': 'Media type of the value.',
};

const headersJsonSchema = (eventType: EventType): JsonSchema => {
  const schema = jsonSchema(recordHeadersSchemaOf(eventType));
  const properties = schema.properties as Record<string, JsonSchema>;
  return {
    ...schema,
    description:
      'CloudEvents Kafka protocol binding, binary content mode. Other headers may be present.',
    properties: Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [
        name,
        { ...property, description: headerDescriptions[name] },
      ]),
    ),
  };
};

const exampleValue = (eventType: EventType) => {
  const { example, orderIdFrom } = eventCatalog[eventType];
  const envelope = {
    eventId: 'efb4b366-48d6-4310-b545-beb92d0bf5b4',
    eventType,
    orderId: 'o-1001',
    timestamp: '2026-11-27T10:15:00.000Z',
  };
  const fields = recordValueSchemas[eventType].parse({
    ...envelope,
    ...(orderIdFrom === 'path' ? {} : example),
    ...(orderIdFrom === 'path' ? example : {}),
  });
  return { ...envelope, ...fields };
};

const message = (eventType: EventType) => {
  const value = exampleValue(eventType);
  return {
    name: eventType,
    title: eventType,
    summary: eventCatalog[eventType].description,
    contentType: 'application/json',
    headers: headersJsonSchema(eventType),
    payload: valueJsonSchema(eventType),
    bindings: {
      kafka: {
        // One order's events share the key, so they share a partition and stay in order.
        key: { ...jsonSchema(orderIdSchema), description: 'The orderId of the value.' },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
    examples: [
      {
        name: eventType,
        headers: {
          ce_specversion: '1.0',
          ce_id: value.eventId,
          ce_type: eventType,
          ce_source: '/order-events-publisher',
          ce_time: value.timestamp,
          ce_subject: value.orderId,
          ce_dataschema: dataschemaOf(eventType),
          'content-type': 'application/json',
        },
        payload: value,
      },
    ],
  };
};

const messageId = functionNameOf;

export interface AsyncApiOptions {
  /** The topic (ORDER_EVENTS_TOPIC); DEFAULT_TOPIC when not given. */
  topic?: string | undefined;
}

export const buildAsyncApiDocument = ({ topic = DEFAULT_TOPIC }: AsyncApiOptions = {}) => {
  const messageRefs = (base: string) =>
    Object.fromEntries(
      eventTypes.map((eventType) => [
        messageId(eventType),
        { $ref: `${base}/${messageId(eventType)}` },
      ]),
    );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'order-events-publisher: order events',
      version: '0.1.0',
      description:
        'Order lifecycle events, as order-events-publisher writes them to Kafka. Each record: key orderId, a JSON value (the envelope eventId, eventType, orderId, timestamp, then the fields of the event type), CloudEvents headers in binary mode. Records of one order share a partition and are in order. Deduplicate on ce_id (= eventId): a record may be written twice when a caller retries.',
    },
    defaultContentType: 'application/json',
    channels: {
      orderEvents: {
        address: topic,
        title: 'Order events',
        description: `Every order event, on the topic ${topic}. The ce_type header (and the value's eventType) tells them apart.`,
        messages: messageRefs('#/components/messages'),
        bindings: { kafka: { topic, bindingVersion: KAFKA_BINDING_VERSION } },
      },
    },
    operations: {
      publishOrderEvents: {
        action: 'send',
        title: 'Publish order events',
        summary: 'Each accepted HTTP request writes its events (acks=all, key orderId).',
        channel: { $ref: '#/channels/orderEvents' },
        messages: Object.values(messageRefs('#/channels/orderEvents/messages')),
        bindings: { kafka: { bindingVersion: KAFKA_BINDING_VERSION } },
      },
    },
    components: {
      messages: Object.fromEntries(
        eventTypes.map((eventType) => [messageId(eventType), message(eventType)]),
      ),
    },
  };
};

export type AsyncApiDocument = ReturnType<typeof buildAsyncApiDocument>;
