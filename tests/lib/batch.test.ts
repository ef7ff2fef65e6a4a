import { describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { batchRoute } from '../../lib/batch.js';
import { BrokerUnavailableError, PublishTimeoutError } from '../../lib/producer/errors.js';
import { createRouteHandler } from '../../lib/publisher.js';
import { jsonEvent, lambdaContext, testConfig } from '../support/events.js';
import { MockProducer } from '../support/mock-producer.js';
import { bugsOnlyObserver } from '../support/observer.js';

const setUp = () => {
  const producer = new MockProducer();
  let ids = 0;
  const handler = createRouteHandler(batchRoute, {
    config: testConfig(),
    producer,
    envelope: { newId: () => `id-${++ids}`, now: () => new Date('2026-11-27T10:00:00.000Z') },
    observer: bugsOnlyObserver,
  });
  const invoke = async (body: unknown) =>
    (await handler(
      jsonEvent(body, { routeKey: 'POST /order-events/batch' }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
  return { producer, handler, invoke };
};

const created = {
  eventType: 'order-created',
  orderId: 'o-1',
  customerId: 'c',
  items: [{ sku: 'A', quantity: 1, unitPrice: 1 }],
  total: 1,
};
const shipped = { eventType: 'order-shipped', orderId: 'o-1', trackingNumber: 'T' };
const cancelled = { eventType: 'order-cancelled', orderId: 'o-2', reason: 'r' };

describe('the batch route', () => {
  it('sends every event in one producer call and answers the receipts in request order', async () => {
    const { producer, invoke } = setUp();
    const response = await invoke({ events: [created, shipped, cancelled] });
    expect(response.statusCode).toBe(202);
    expect(producer.sendOptions).toHaveLength(1);
    expect(producer.sent.map((record) => [record.key, record.headers.ce_type])).toEqual([
      ['o-1', 'order-created'],
      ['o-1', 'order-shipped'],
      ['o-2', 'order-cancelled'],
    ]);
    expect(JSON.parse(String(response.body))).toEqual({
      results: [
        {
          eventId: 'id-1',
          eventType: 'order-created',
          topic: 'order-events',
          partition: 0,
          offset: '0',
        },
        {
          eventId: 'id-2',
          eventType: 'order-shipped',
          topic: 'order-events',
          partition: 0,
          offset: '1',
        },
        {
          eventId: 'id-3',
          eventType: 'order-cancelled',
          topic: 'order-events',
          partition: 0,
          offset: '2',
        },
      ],
    });
    expect(JSON.parse(producer.sent[0]!.value)).toEqual({
      eventId: 'id-1',
      eventType: 'order-created',
      orderId: 'o-1',
      timestamp: '2026-11-27T10:00:00.000Z',
      customerId: 'c',
      items: [{ sku: 'A', quantity: 1, unitPrice: 1 }],
      total: 1,
      currency: 'USD',
    });
  });

  it('rejects the whole batch if any event is invalid, naming index and path, and sends nothing', async () => {
    const { producer, invoke } = setUp();
    const response = await invoke({
      events: [
        created,
        { ...shipped, trackingNumber: '' },
        { ...cancelled, orderId: 'bad id' },
        { eventType: 'order-lost', orderId: 'o-3' },
      ],
    });
    expect(response.statusCode).toBe(400);
    expect(
      JSON.parse(String(response.body)).errors.map((error: { path: string }) => error.path),
    ).toEqual(['body.events.1.trackingNumber', 'body.events.2.orderId', 'body.events.3.eventType']);
    expect(producer.sendOptions).toHaveLength(0);
  });

  it.each([
    ['no events', { events: [] }],
    ['501 events', { events: Array.from({ length: 501 }, () => cancelled) }],
    ['an unknown top-level field', { events: [cancelled], note: 'x' }],
    ['events that are not a list', { events: cancelled }],
  ])('rejects %s', async (_, body) => {
    const { producer, invoke } = setUp();
    expect((await invoke(body)).statusCode).toBe(400);
    expect(producer.sendOptions).toHaveLength(0);
  });

  it('accepts exactly 500 events', async () => {
    const { producer, invoke } = setUp();
    expect(
      (await invoke({ events: Array.from({ length: 500 }, () => cancelled) })).statusCode,
    ).toBe(202);
    expect(producer.sent).toHaveLength(500);
  });

  it('publishes a batch through direct invocation too', async () => {
    const { handler } = setUp();
    expect(await handler({ events: [cancelled] }, lambdaContext())).toMatchObject({
      results: [{ eventType: 'order-cancelled' }],
    });
  });

  it('answers a partly acknowledged batch with the outcome of each event, never "nothing was acknowledged"', async () => {
    const { producer, invoke } = setUp();
    producer.failure = new BrokerUnavailableError('broker 2 is down', {
      acknowledged: [
        { topic: 'order-events', partition: 1, offset: '7' },
        undefined,
        { topic: 'order-events', partition: 1, offset: '8' },
      ],
    });
    const response = await invoke({ events: [created, shipped, cancelled] });
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    const problem = JSON.parse(String(response.body));
    expect(problem).toMatchObject({
      type: 'urn:order-events-publisher:problem:events-partly-acknowledged',
      results: [
        { eventId: 'id-1', status: 'acknowledged', partition: 1, offset: '7' },
        { eventId: 'id-2', status: 'not-acknowledged' },
        { eventId: 'id-3', status: 'acknowledged', partition: 1, offset: '8' },
      ],
    });
    expect(problem.detail).toMatch(/acknowledged 2 of the 3 events/);
    expect(problem.detail).not.toMatch(/nothing was acknowledged/i);
    // Sent without an Idempotency-Key: a retry of the whole request would write the acknowledged ones again.
    expect(problem.detail).toMatch(/Resend only the events not acknowledged/);
    expect(problem.detail).not.toMatch(/Idempotency-Key: the retry/);
  });

  it('says that events may have been written when the broker did not answer in time', async () => {
    const { producer, invoke } = setUp();
    producer.failure = new PublishTimeoutError('no answer in time', {
      acknowledged: [undefined, undefined, undefined],
    });
    const response = await invoke({ events: [created, shipped, cancelled] });
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(String(response.body)).detail).toMatch(/may or may not have been written/);
  });
});
