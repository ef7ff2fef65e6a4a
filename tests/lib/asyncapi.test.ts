import path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { afterEach, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { handler } from '../../handlers/asyncapi.js';
import { buildAsyncApiDocument, DEFAULT_TOPIC } from '../../lib/asyncapi.js';
import { dataschemaOf, type EventType, eventCatalog, eventTypes } from '../../lib/catalog.js';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import { repoRoot } from '../e2e/support/service.js';
import { asyncApiRecordValidator } from '../support/asyncapi-validator.js';

const document = buildAsyncApiDocument();
const validator = asyncApiRecordValidator(document);

/** What the service writes for the catalog's example request of an event type. */
const writtenRecord = (eventType: EventType) => {
  const { schema, example, orderIdFrom } = eventCatalog[eventType];
  const fields = schema.parse(example) as Record<string, unknown>;
  const orderId = orderIdFrom === 'body' ? String(fields.orderId) : 'o-42';
  const record = toKafkaRecord(
    buildOrderEvent(eventType, orderId, fields),
    'order-events',
    '/order-events-publisher',
  );
  return { key: record.key, value: record.value, headers: record.headers };
};

describe('the AsyncAPI document', () => {
  it('parses with the AsyncAPI parser without errors or warnings', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    // Severity 0 is an error, 1 a warning; the one hint left recommends AsyncAPI 3.1 over 3.0.
    expect(diagnostics.filter((diagnostic) => diagnostic.severity <= 1)).toEqual([]);
    expect(parsed?.version()).toBe('3.0.0');
    expect(
      parsed
        ?.channels()
        .all()
        .map((channel) => channel.address()),
    ).toEqual([DEFAULT_TOPIC]);
    expect(
      parsed
        ?.messages()
        .all()
        .map((message) => message.name())
        .sort(),
    ).toEqual([...eventTypes].sort());
  });

  it('has one channel on the configured topic, with one message per event type of the catalog', () => {
    const onOtherTopic = buildAsyncApiDocument({ topic: 'shop.orders' });
    expect(onOtherTopic.channels.orderEvents).toMatchObject({
      address: 'shop.orders',
      bindings: { kafka: { topic: 'shop.orders' } },
    });
    expect(Object.values(document.components.messages).map((message) => message.name)).toEqual(
      eventTypes,
    );
    expect(document.operations.publishOrderEvents.action).toBe('send');
  });

  it.each(eventTypes)(
    '%s: the payload $id is the ce_dataschema its records carry, and the key is orderId',
    (eventType) => {
      const message = Object.values(document.components.messages).find(
        (candidate) => candidate.name === eventType,
      )!;
      const record = writtenRecord(eventType);
      expect(message.payload.$id).toBe(dataschemaOf(eventType));
      expect(record.headers.ce_dataschema).toBe(dataschemaOf(eventType));
      expect(message.headers.required).toContain('ce_dataschema');
      expect(message.bindings.kafka.key).toMatchObject({ type: 'string', maxLength: 64 });
      expect(record.key).toBe(JSON.parse(record.value).orderId);
    },
  );

  it.each(eventTypes)('%s: the record the service writes keeps its message schema', (eventType) => {
    expect(validator.violations(writtenRecord(eventType))).toEqual([]);
  });

  it('refuses records that differ from what is documented', () => {
    const record = writtenRecord('order-shipped');
    const value = JSON.parse(record.value) as Record<string, unknown>;
    const { trackingNumber: _, ...withoutTracking } = value;
    expect(validator.violations({ ...record, value: JSON.stringify(withoutTracking) })).toEqual([
      "value must have required property 'trackingNumber'",
    ]);
    expect(
      validator.violations({ ...record, value: JSON.stringify({ ...value, extra: 1 }) }),
    ).toEqual(['value must NOT have additional properties']);
    const { ce_dataschema: __, ...headers } = record.headers;
    expect(validator.violations({ ...record, headers })).toEqual([
      "headers must have required property 'ce_dataschema'",
    ]);
    expect(validator.violations({ ...record, key: 'not the same order' })).toEqual([
      'key must match pattern "^[A-Za-z0-9._:-]+$"',
    ]);
  });

  it('documents an example record per message that keeps the schema', () => {
    for (const message of Object.values(document.components.messages)) {
      const [example] = message.examples;
      expect(
        validator.violations({
          key: example!.payload.orderId,
          value: JSON.stringify(example!.payload),
          headers: example!.headers,
        }),
      ).toEqual([]);
    }
  });
});

describe('GET /asyncapi.json handler', () => {
  const topicBefore = process.env.ORDER_EVENTS_TOPIC;
  afterEach(() => {
    process.env.ORDER_EVENTS_TOPIC = topicBefore;
  });

  it('answers the document as JSON, for the topic of ORDER_EVENTS_TOPIC', async () => {
    process.env.ORDER_EVENTS_TOPIC = 'shop.orders';
    const response = await handler();
    expect(response).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(JSON.parse(response.body!)).toEqual(
      JSON.parse(JSON.stringify(buildAsyncApiDocument({ topic: 'shop.orders' }))),
    );
  });

  it('bundles without configuration, Kafka or the publishing runtime', async () => {
    const { metafile } = await build({
      entryPoints: [path.join(repoRoot, 'handlers/asyncapi.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(
      Object.keys(metafile.inputs).filter((input) =>
        /lib\/(runtime|config|publisher)\.ts$|kafkajs|@middy/.test(input),
      ),
    ).toEqual([]);
  });
});
