// The example Lambda consumer (examples/lambda-consumer.ts) with Powertools' Kafka consumer utility, fed the
// event an MSK event source mapping delivers: values and keys base64-encoded, headers as byte arrays. The
// records are the service's own (lib/events.ts); a broker would add nothing the Lambda event does not carry.

import type { MSKEvent } from '@aws-lambda-powertools/kafka/types';
import { describe, expect, it } from '@jest/globals';
import { orderEventsLambdaHandler } from '../../examples/lambda-consumer.js';
import { buildOrderEvent, toKafkaRecord } from '../../lib/events.js';
import type { OutgoingRecord } from '../../lib/producer/event-producer.js';
import type { OrderEventValue } from '../../lib/records.js';
import { lambdaContext } from '../support/events.js';

const written = (eventType: Parameters<typeof buildOrderEvent>[0], fields: object) =>
  toKafkaRecord(
    buildOrderEvent(eventType, 'o-1', fields),
    'order-events',
    '/order-events-publisher',
  );

/** An MSK event as Lambda delivers it: one partition's records, in order. */
const mskEvent = (records: OutgoingRecord[]): MSKEvent => ({
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/uuid',
  bootstrapServers: 'b-1.orders:9098',
  records: {
    'order-events-0': records.map((record, offset) => ({
      topic: 'order-events',
      partition: 0,
      offset,
      timestamp: 1_764_000_000_000,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(record.key).toString('base64'),
      // A record without a value (a tombstone) comes without one.
      ...(record.value === '' ? {} : { value: Buffer.from(record.value).toString('base64') }),
      headers: Object.entries(record.headers).map(([name, value]) => ({
        [name]: [...Buffer.from(value)],
      })),
      // What the event source mapping says of a JSON value without a schema registry.
      valueSchemaMetadata: { dataFormat: 'JSON' },
      keySchemaMetadata: { dataFormat: 'STRING' },
    })),
  },
});

describe('the example Lambda consumer (Powertools Kafka)', () => {
  it('parses values with the exported schema, deduplicates on ce_id and sets aside what it cannot read', async () => {
    const created = written('order-created', {
      orderId: 'o-1',
      customerId: 'c-1',
      items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 2 }],
      total: 2,
      currency: 'USD',
    });
    const shipped = written('order-shipped', { trackingNumber: '1Z999' });
    const invalid = written('order-shipped', { trackingNumber: '' });
    const newerVersion = written('order-cancelled', { reason: 'r' });
    newerVersion.headers.ce_dataschema = 'urn:order-events-publisher:schema:order-cancelled:v2';
    const cancelled = written('order-cancelled', { reason: 'customer request' });
    const noValue = { ...written('order-shipped', { trackingNumber: 'T-0' }), value: '' };
    const otherId = written('order-shipped', { trackingNumber: 'T-1' });
    otherId.headers.ce_id = '00000000-0000-4000-8000-000000000001';
    const otherType = written('order-shipped', { trackingNumber: 'T-2' });
    otherType.headers.ce_type = 'order-cancelled';

    const events: OrderEventValue[] = [];
    const unreadable: { offset: number; reason: string }[] = [];
    const handler = orderEventsLambdaHandler({
      onEvent: async (event) => {
        events.push(event);
      },
      onUnreadable: async ({ offset, reason }) => {
        unreadable.push({ offset, reason });
      },
    });

    await handler(mskEvent([created, shipped, invalid, newerVersion, shipped]), lambdaContext());
    // Lambda retries a batch, or delivers a record again: already handled, so skipped.
    await handler(mskEvent([shipped, cancelled]), lambdaContext());
    await handler(mskEvent([noValue, otherId, otherType]), lambdaContext());

    expect(events).toEqual([created, shipped, cancelled].map((record) => JSON.parse(record.value)));
    expect(unreadable).toEqual([
      { offset: 2, reason: expect.stringContaining('value') },
      { offset: 3, reason: expect.stringContaining(':v2') },
      { offset: 0, reason: 'no value' },
      { offset: 1, reason: expect.stringContaining("not the value's eventId") },
      { offset: 2, reason: expect.stringContaining("ce_type order-cancelled, not the value's") },
    ]);
  });
});
