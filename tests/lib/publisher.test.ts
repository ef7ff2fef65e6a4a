import { describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { clock } from '../../lib/clock.js';
import type { EventEnvelopeSource } from '../../lib/events.js';
import type { Idempotency } from '../../lib/idempotency.js';
import type { PublishObserver } from '../../lib/observability.js';
import { BrokerUnavailableError, PublishTimeoutError } from '../../lib/producer/errors.js';
import { createPublishHandler, type PublisherDeclaration } from '../../lib/publisher.js';
import {
  MAX_BODY_BYTES,
  orderCancelledSchema,
  orderCreatedSchema,
  orderShippedSchema,
} from '../../lib/schemas.js';
import { httpEvent, jsonEvent, lambdaContext, testConfig, validOrder } from '../support/events.js';
import { keyedEventId } from '../support/keyed-event-id.js';
import { MockProducer } from '../support/mock-producer.js';
import { bugsOnlyObserver } from '../support/observer.js';

const created: PublisherDeclaration = {
  eventType: 'order-created',
  schema: orderCreatedSchema,
  orderIdFrom: 'body',
};
const shipped: PublisherDeclaration = {
  eventType: 'order-shipped',
  schema: orderShippedSchema,
  orderIdFrom: 'path',
};
const cancelled: PublisherDeclaration = {
  eventType: 'order-cancelled',
  schema: orderCancelledSchema,
  orderIdFrom: 'path',
};

const EVENT_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
const envelope = { newId: () => EVENT_ID, now: () => new Date('2026-11-27T09:30:00.000Z') };

const setUp = (
  declaration: PublisherDeclaration = created,
  reported: unknown[] = [],
  {
    source = envelope,
    published = () => undefined,
  }: { source?: EventEnvelopeSource; published?: PublishObserver['published'] } = {},
) => {
  const producer = new MockProducer();
  const handler = createPublishHandler(declaration, {
    config: testConfig(),
    producer,
    envelope: source,
    observer: {
      published,
      refused: (problem, error) => void reported.push([error, problem.status]),
      replayed: () => undefined,
      unconfirmed: () => undefined,
    },
  });
  const invoke = async (event: APIGatewayProxyEventV2, remainingMs?: number) =>
    (await handler(event, lambdaContext(remainingMs))) as APIGatewayProxyStructuredResultV2;
  return { producer, handler, invoke, reported };
};

const json = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(String(response.body));

const expectProblem = (
  response: APIGatewayProxyStructuredResultV2,
  status: number,
  slug: string,
) => {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.['Content-Type']).toBe('application/problem+json');
  const problem = json(response);
  expect(problem).toMatchObject({ type: `urn:order-events-publisher:problem:${slug}`, status });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  expect(String(response.body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return problem;
};

describe('publishing over HTTP', () => {
  it('sends order-created keyed by the body orderId and answers 202 with the receipt', async () => {
    const { producer, invoke } = setUp(created);
    const response = await invoke(jsonEvent(validOrder));

    expect(response.statusCode).toBe(202);
    expect(response.headers?.['Content-Type']).toBe('application/json');
    expect(json(response)).toEqual({
      eventId: EVENT_ID,
      eventType: 'order-created',
      topic: 'order-events',
      partition: 0,
      offset: '0',
    });
    expect(producer.sent).toEqual([
      {
        topic: 'order-events',
        key: 'order-1001',
        value: expect.any(String),
        headers: {
          ce_specversion: '1.0',
          ce_id: EVENT_ID,
          ce_type: 'order-created',
          ce_source: '/order-events-publisher',
          ce_time: '2026-11-27T09:30:00.000Z',
          ce_subject: 'order-1001',
          ce_dataschema: 'urn:order-events-publisher:schema:order-created:v1',
          'content-type': 'application/json',
          ce_correlationid: expect.any(String),
        },
        timestamp: String(Date.parse('2026-11-27T09:30:00.000Z')),
      },
    ]);
    expect(JSON.parse(producer.sent[0]!.value)).toEqual({
      eventId: EVENT_ID,
      eventType: 'order-created',
      orderId: 'order-1001',
      timestamp: '2026-11-27T09:30:00.000Z',
      customerId: 'customer-7',
      items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 9.5 }],
      total: 19,
      currency: 'USD',
    });
  });

  it('sends order-shipped keyed by the path orderId', async () => {
    const { producer, invoke } = setUp(shipped);
    const response = await invoke(
      jsonEvent({ trackingNumber: '1Z999', carrier: 'UPS' }, { orderId: 'o-7' }),
    );

    expect(response.statusCode).toBe(202);
    expect(json(response)).toMatchObject({ eventType: 'order-shipped', eventId: EVENT_ID });
    expect(producer.sent[0]).toMatchObject({
      key: 'o-7',
      headers: { ce_type: 'order-shipped', ce_subject: 'o-7' },
    });
    expect(JSON.parse(producer.sent[0]!.value)).toEqual({
      eventId: EVENT_ID,
      eventType: 'order-shipped',
      orderId: 'o-7',
      timestamp: '2026-11-27T09:30:00.000Z',
      trackingNumber: '1Z999',
      carrier: 'UPS',
    });
  });

  it('sends order-cancelled keyed by the path orderId', async () => {
    const { producer, invoke } = setUp(cancelled);
    const response = await invoke(jsonEvent({ reason: 'changed my mind' }, { orderId: 'o-8' }));

    expect(response.statusCode).toBe(202);
    expect(producer.sent[0]).toMatchObject({ key: 'o-8', headers: { ce_type: 'order-cancelled' } });
    expect(JSON.parse(producer.sent[0]!.value)).toMatchObject({
      eventType: 'order-cancelled',
      orderId: 'o-8',
      reason: 'changed my mind',
    });
  });

  it('accepts any casing of Content-Type, a charset, and a +json media type', async () => {
    const { invoke } = setUp(created);
    const body = JSON.stringify(validOrder);
    for (const headers of <Record<string, string>[]>[
      { 'Content-Type': 'application/json; charset=utf-8' },
      { 'CONTENT-TYPE': 'application/vnd.order+json' },
    ]) {
      expect((await invoke(httpEvent({ body, headers }))).statusCode).toBe(202);
    }
  });

  it('reads media types case-insensitively, with spaces around parameters', async () => {
    const { invoke } = setUp(created);
    const body = JSON.stringify(validOrder);
    for (const contentType of [
      'Application/JSON',
      'APPLICATION/JSON',
      'application/json ; charset=utf-8',
    ]) {
      expect(
        (await invoke(httpEvent({ body, headers: { 'content-type': contentType } }))).statusCode,
      ).toBe(202);
    }
  });

  it('decodes a base64-encoded body', async () => {
    const { producer, invoke } = setUp(created);
    const body = Buffer.from(JSON.stringify(validOrder)).toString('base64');
    expect((await invoke(httpEvent({ body, isBase64Encoded: true }))).statusCode).toBe(202);
    expect(producer.sent).toHaveLength(1);
  });

  it('gives the producer the invocation budget: remaining time less the margin, capped by PUBLISH_TIMEOUT_MS', async () => {
    const { producer, invoke } = setUp(created);
    // The clock stands still, so the budget the producer gets is the one computed, not that less however long
    // this machine took to validate (a pause of a few milliseconds made this test fail now and then).
    const stopped = jest.spyOn(clock, 'nowMs').mockReturnValue(1_000);
    try {
      await invoke(jsonEvent(validOrder), 3_000);
      await invoke(jsonEvent(validOrder), 60_000);
    } finally {
      stopped.mockRestore();
    }
    expect(producer.sendOptions.map((options) => options.timeoutMs)).toEqual([2_500, 8_000]);
  });
});

describe('rejecting bad requests (nothing is published)', () => {
  it('answers an invalid body with 400 and every field error', async () => {
    const { producer, invoke } = setUp(created);
    const problem = expectProblem(
      await invoke(
        jsonEvent({
          ...validOrder,
          items: [{ sku: 'A', quantity: 0, unitPrice: 1 }],
          currency: 'eur',
          note: 'x',
        }),
      ),
      400,
      'invalid-request',
    );
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.items.0.quantity', message: expect.stringContaining('>=1') },
        { path: 'body.currency', message: 'currency must be 3 upper-case letters (ISO 4217)' },
        { path: 'body', message: 'Unrecognized key: "note"' },
      ]),
    );
    expect(producer.sent).toHaveLength(0);
  });

  it('answers an invalid path orderId with 400 naming the path parameter', async () => {
    const { producer, invoke } = setUp(shipped);
    const problem = expectProblem(
      await invoke(jsonEvent({ trackingNumber: 'T' }, { orderId: 'bad id!' })),
      400,
      'invalid-request',
    );
    expect(problem.errors).toEqual([
      {
        path: 'pathParameters.orderId',
        message: expect.stringContaining('orderId may only contain'),
      },
    ]);
    expect(producer.sent).toHaveLength(0);
  });

  it('reports a bad path orderId and a bad body together', async () => {
    const { invoke } = setUp(cancelled);
    const problem = expectProblem(
      await invoke(jsonEvent({}, { orderId: 'x'.repeat(65) })),
      400,
      'invalid-request',
    );
    expect(problem.errors.map((error: { path: string }) => error.path)).toEqual([
      'pathParameters.orderId',
      'body.reason',
    ]);
  });

  it.each([
    ['an array', [validOrder]],
    ['a string', 'order'],
    ['null', null],
    ['a number', 42],
  ])('answers a JSON body that is %s with 400', async (_, body) => {
    const { producer, invoke } = setUp(created);
    expectProblem(await invoke(jsonEvent(body)), 400, 'invalid-request');
    expect(producer.sent).toHaveLength(0);
  });

  it('answers malformed JSON with 400 (middy 7’s parser alone would answer 422)', async () => {
    const { producer, invoke } = setUp(created);
    const problem = expectProblem(
      await invoke(httpEvent({ body: '{"orderId": "o-1",' })),
      400,
      'malformed-json',
    );
    expect(problem.errors).toEqual([{ path: 'body', message: expect.any(String) }]);
    expect(producer.sent).toHaveLength(0);
  });

  it.each([
    [
      '__proto__ at the top',
      `{"__proto__":{"isAdmin":true},${JSON.stringify(validOrder).slice(1)}`,
      'body',
    ],
    [
      'constructor.prototype at the top',
      `{"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(validOrder).slice(1)}`,
      'body',
    ],
    [
      '__proto__ inside an item',
      JSON.stringify(validOrder).replace('{"sku"', '{"__proto__":{"polluted":"yes"},"sku"'),
      'body.items.0',
    ],
  ])(
    'answers a %s key with 400 naming where it is (middy 7’s parser alone would answer 422), polluting nothing',
    async (_, body, path) => {
      const { producer, invoke } = setUp(created);
      const problem = expectProblem(await invoke(httpEvent({ body })), 400, 'invalid-request');
      expect(problem.errors).toEqual([
        { path, message: expect.stringMatching(/Unrecognized key/) },
      ]);
      expect(
        ({} as Record<string, unknown>).isAdmin ?? ({} as Record<string, unknown>).polluted,
      ).toBeUndefined();
      expect(producer.sent).toHaveLength(0);
    },
  );

  it.each([undefined, ''])('answers an empty body (%j) with 400', async (body) => {
    const { producer, invoke } = setUp(created);
    expectProblem(await invoke(httpEvent({ body })), 400, 'empty-body');
    expect(producer.sent).toHaveLength(0);
  });

  it('answers a body that is not text (an emulator may pass a parsed false or 0) with 400', async () => {
    const { producer, invoke } = setUp(cancelled);
    for (const body of [false, 0]) {
      const event = httpEvent({ orderId: 'o-1' });
      (event as unknown as { body: unknown }).body = body;
      expectProblem(await invoke(event), 400, 'invalid-encoding');
    }
    expect(producer.sent).toHaveLength(0);
  });

  it('answers a body that is not UTF-8 with 400', async () => {
    const { producer, invoke } = setUp(cancelled);
    const bytes = Buffer.concat([
      Buffer.from('{"reason":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expectProblem(
      await invoke(
        httpEvent({ body: bytes.toString('base64'), isBase64Encoded: true, orderId: 'o-1' }),
      ),
      400,
      'invalid-encoding',
    );
    expect(producer.sent).toHaveLength(0);
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['no Content-Type', {}],
  ])('answers %s with 415', async (_, headers) => {
    const { producer, invoke } = setUp(created);
    const problem = expectProblem(
      await invoke(httpEvent({ body: JSON.stringify(validOrder), headers })),
      415,
      'unsupported-media-type',
    );
    expect(problem.detail).toContain('application/json');
    expect(producer.sent).toHaveLength(0);
  });

  it('answers a body over 256 KiB with 413, before parsing it', async () => {
    const { producer, invoke } = setUp(cancelled);
    const body = JSON.stringify({ reason: 'r'.repeat(MAX_BODY_BYTES) });
    const problem = expectProblem(
      await invoke(httpEvent({ body, orderId: 'o-1' })),
      413,
      'payload-too-large',
    );
    expect(problem.detail).toContain(String(MAX_BODY_BYTES));
    expect(producer.sent).toHaveLength(0);
  });

  it('measures the size of a base64 body decoded', async () => {
    const { invoke } = setUp(cancelled);
    const body = Buffer.from(JSON.stringify({ reason: 'r'.repeat(MAX_BODY_BYTES) })).toString(
      'base64',
    );
    expectProblem(
      await invoke(httpEvent({ body, isBase64Encoded: true, orderId: 'o-1' })),
      413,
      'payload-too-large',
    );
  });
});

describe('broker failures', () => {
  it('answers an unreachable broker with 503 and Retry-After', async () => {
    const { producer, invoke } = setUp(created);
    producer.failure = new BrokerUnavailableError(
      'Connection error: connect ECONNREFUSED 10.0.0.1:9092',
    );
    const response = await invoke(jsonEvent(validOrder));
    const problem = expectProblem(response, 503, 'broker-unavailable');
    expect(response.headers?.['Retry-After']).toBe('1');
    expect(problem.detail).not.toContain('10.0.0.1');
  });

  it('answers a missing acknowledgement with 503 and Retry-After', async () => {
    const { producer, invoke } = setUp(created);
    producer.failure = new PublishTimeoutError('Kafka did not acknowledge within 10 ms');
    const response = await invoke(jsonEvent(validOrder));
    expectProblem(response, 503, 'broker-unavailable');
    expect(response.headers?.['Retry-After']).toBe('1');
  });

  it('reports a broker failure with its 503', async () => {
    const reported: unknown[] = [];
    const { producer, invoke } = setUp(created, reported);
    producer.failure = new BrokerUnavailableError('down');
    await invoke(jsonEvent(validOrder));
    expect(reported).toEqual([[producer.failure, 503]]);
  });

  it('answers an unexpected error with 500, reports it, and shows the caller no message or stack', async () => {
    const reported: unknown[] = [];
    const { producer, invoke } = setUp(created, reported);
    producer.failure = new TypeError('secret internal detail');
    const response = await invoke(jsonEvent(validOrder));
    const problem = expectProblem(response, 500, 'internal-error');
    expect(String(response.body)).not.toContain('secret internal detail');
    expect(reported).toEqual([[producer.failure, 500]]);
    // The producer failed otherwise than its contract says: what reached Kafka is not known.
    expect(problem.detail).toContain('may or may not have been written');
    expect(problem.detail).not.toContain('not published');
  });

  it('says nothing was published only for an unexpected error before the send', async () => {
    const reported: unknown[] = [];
    const noId = () => {
      throw new TypeError('no id today');
    };
    const { producer, invoke } = setUp(created, reported, {
      source: { newId: noId, now: () => new Date() },
    });
    const response = await invoke(jsonEvent(validOrder));
    expect(expectProblem(response, 500, 'internal-error').detail).toContain('not published');
    expect(producer.sendOptions).toHaveLength(0);
    expect(reported).toHaveLength(1);
  });

  const logFailure = new Error('the log line could not be written');
  const failingLog = () => {
    throw logFailure;
  };

  it('never says nothing was published once Kafka acknowledged: a failure after the ack is a 500 that says it is written', async () => {
    const reported: unknown[] = [];
    const { producer, invoke } = setUp(created, reported, { published: failingLog });
    const problem = expectProblem(await invoke(jsonEvent(validOrder)), 500, 'internal-error');
    expect(problem.detail).toContain('Kafka acknowledged the events');
    expect(problem.detail).not.toContain('not published');
    expect(producer.sent).toHaveLength(1);
    expect(reported).toEqual([[logFailure, 500]]);
  });

  it('answers a direct invocation the same way: a failure after the ack says the events are written', async () => {
    const { producer, handler } = setUp(created, [], { published: failingLog });
    const answer = await handler({ ...validOrder }, lambdaContext());
    expect(answer).toMatchObject({
      status: 500,
      detail: expect.stringContaining('Kafka acknowledged'),
    });
    expect(producer.sent).toHaveLength(1);
  });

  it('reports a mistake of the caller as a 400 refusal', async () => {
    const reported: unknown[] = [];
    const { invoke } = setUp(created, reported);
    await invoke(jsonEvent({}));
    expect(reported).toEqual([[expect.objectContaining({ status: 400 }), 400]]);
  });
});

describe('direct invocation (serverless invoke local, Lambda invoke API)', () => {
  it('publishes the event data and returns the receipt itself', async () => {
    const { producer, handler } = setUp(created);
    expect(await handler(validOrder, lambdaContext())).toEqual({
      eventId: EVENT_ID,
      eventType: 'order-created',
      topic: 'order-events',
      partition: 0,
      offset: '0',
    });
    expect(producer.sent[0]?.key).toBe('order-1001');
  });

  it('takes the orderId of a path route from the data', async () => {
    const { producer, handler } = setUp(shipped);
    const receipt = await handler({ orderId: 'o-3', trackingNumber: 'T-3' }, lambdaContext());
    expect(receipt).toMatchObject({ eventType: 'order-shipped' });
    expect(producer.sent[0]?.key).toBe('o-3');
    expect(JSON.parse(producer.sent[0]!.value)).toMatchObject({
      orderId: 'o-3',
      trackingNumber: 'T-3',
    });
  });

  it('returns a structured validation error and publishes nothing', async () => {
    const { producer, handler } = setUp(shipped);
    expect(await handler({ trackingNumber: '' }, lambdaContext())).toEqual({
      type: 'urn:order-events-publisher:problem:invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'The request has 2 invalid value(s); see errors.',
      errors: [
        { path: 'orderId', message: expect.any(String) },
        { path: 'trackingNumber', message: expect.any(String) },
      ],
    });
    expect(producer.sent).toHaveLength(0);
  });

  it('bounds the event as the HTTP edge bounds a body: too many elements, too deep, too large, each a 4xx', async () => {
    const { producer, handler, reported } = setUp(created);
    // 100,000 array elements (under the size bound): zod's issues for as many overflowed the stack once.
    const manyElements = await handler(
      { ...validOrder, items: Array.from({ length: 100_000 }, () => 0) },
      lambdaContext(),
    );
    expect(manyElements).toMatchObject({ status: 400, errors: [{ path: 'body' }] });
    const deep = JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown;
    expect(await handler({ ...validOrder, notes: deep }, lambdaContext())).toMatchObject({
      status: 400,
    });
    const large = await handler({ ...validOrder, notes: 'x'.repeat(300 * 1024) }, lambdaContext());
    expect(large).toMatchObject({ status: 413 });
    expect(producer.sent).toHaveLength(0);
    expect((reported as [unknown, number][]).map(([, status]) => status)).not.toContain(500);
  });

  it('returns a 503 problem when the broker fails', async () => {
    const { producer, handler } = setUp(cancelled);
    producer.failure = new BrokerUnavailableError('down');
    expect(await handler({ orderId: 'o-1', reason: 'r' }, lambdaContext())).toMatchObject({
      status: 503,
    });
  });
});

describe('time budget and trace context', () => {
  it('sends nothing and answers 503 when the budget is spent before the send', async () => {
    const { producer, invoke } = setUp(created);
    const response = await invoke(jsonEvent(validOrder), 100);
    const problem = expectProblem(response, 503, 'time-budget-spent');
    expect(problem.detail).toMatch(/nothing was published/);
    expect(producer.sent).toHaveLength(0);
  });

  it('answers a keyed request that arrives out of time as one without a key, before asking the store', async () => {
    const producer = new MockProducer();
    let storeAsked = 0;
    const handler = createPublishHandler(cancelled, {
      config: testConfig(),
      producer,
      observer: bugsOnlyObserver,
      idempotency: {
        run: async (_prefix, _request, publish) => {
          storeAsked += 1;
          return publish();
        },
      },
    });
    const response = (await handler(
      jsonEvent(
        { reason: 'late' },
        {
          orderId: 'o-1',
          headers: { 'content-type': 'application/json', 'Idempotency-Key': 'late-1' },
          caller: 'caller-a',
        },
      ),
      lambdaContext(100),
    )) as APIGatewayProxyStructuredResultV2;
    expectProblem(response, 503, 'time-budget-spent');
    expect(storeAsked).toBe(0);
    expect(producer.sent).toHaveLength(0);
  });

  it('echoes X-Correlation-Id and writes it and the traceparent into the record', async () => {
    const { producer, invoke } = setUp(created);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const response = await invoke(
      jsonEvent(validOrder, {
        headers: {
          'content-type': 'application/json',
          'X-Correlation-Id': 'corr-42',
          traceparent,
        },
      }),
    );
    expect(response.statusCode).toBe(202);
    expect(response.headers?.['X-Correlation-Id']).toBe('corr-42');
    expect(producer.sent[0]?.headers).toMatchObject({
      ce_correlationid: 'corr-42',
      traceparent,
      ce_traceparent: traceparent,
    });
  });

  it('makes up a correlation id when there is none, and echoes it on errors too', async () => {
    const { producer, invoke } = setUp(created);
    const accepted = await invoke(jsonEvent(validOrder));
    const generated = accepted.headers?.['X-Correlation-Id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(producer.sent[0]?.headers.ce_correlationid).toBe(generated);
    const refused = await invoke(jsonEvent({ orderId: 'o-1' }));
    expect(refused.statusCode).toBe(400);
    expect(refused.headers?.['X-Correlation-Id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('tells the logs which correlation id and caller a refusal answered, the ones its answer carries', async () => {
    const producer = new MockProducer();
    const refusals: Parameters<PublishObserver['refused']>[] = [];
    const handler = createPublishHandler(cancelled, {
      config: testConfig(),
      producer,
      observer: {
        published: () => undefined,
        refused: (...call) => void refusals.push(call),
        replayed: () => undefined,
        unconfirmed: () => undefined,
      },
    });
    const headers = { 'content-type': 'application/json', 'X-Correlation-Id': 'corr-7' };
    const invalid = (await handler(
      jsonEvent({}, { orderId: 'o-1', headers, caller: 'caller-a' }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    producer.failure = new BrokerUnavailableError('down');
    const failed = (await handler(
      jsonEvent({ reason: 'r' }, { orderId: 'o-1' }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const badHeader = (await handler(
      jsonEvent({ reason: 'r' }, { orderId: 'o-1', headers: { 'x-correlation-id': 'a b' } }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    await handler({ orderId: 'o-1' }, lambdaContext());

    expect(refusals.map(([problem]) => problem.status)).toEqual([400, 503, 400, 400]);
    expect(refusals.map(([, , about]) => about)).toEqual([
      { route: 'order-cancelled', correlationId: 'corr-7', caller: 'caller-a' },
      {
        route: 'order-cancelled',
        correlationId: failed.headers?.['X-Correlation-Id'],
        caller: undefined,
      },
      {
        route: 'order-cancelled',
        correlationId: badHeader.headers?.['X-Correlation-Id'],
        caller: undefined,
      },
      // A direct invocation's answer carries no header; its line still has an id of its own.
      { route: 'order-cancelled', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    expect(invalid.headers?.['X-Correlation-Id']).toBe('corr-7');
    expect(failed.headers?.['X-Correlation-Id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(badHeader.headers?.['X-Correlation-Id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a correlation id no header could carry, naming the header', async () => {
    const { producer, invoke } = setUp(created);
    const response = await invoke(
      jsonEvent(validOrder, {
        headers: { 'content-type': 'application/json', 'x-correlation-id': 'has spaces in it' },
      }),
    );
    const problem = expectProblem(response, 400, 'invalid-request');
    expect(problem.errors[0].path).toBe('headers.x-correlation-id');
    expect(producer.sent).toHaveLength(0);
  });
});

describe('Idempotency-Key', () => {
  /** Stands in for the store: the first answer per caller and key is kept and returned to every retry. */
  const memoryIdempotency = () => {
    const answers = new Map<string, unknown>();
    const idempotency: Idempotency = {
      run: async (prefix, { caller, key }, publish) => {
        const id = `${prefix}#${caller}#${key}`;
        if (!answers.has(id)) answers.set(id, await publish());
        return answers.get(id) as never;
      },
    };
    return { idempotency, answers };
  };

  const setUpWith = (idempotency?: Idempotency, producer = new MockProducer()) => {
    const handler = createPublishHandler(cancelled, {
      config: testConfig(),
      producer,
      observer: bugsOnlyObserver,
      ...(idempotency ? { idempotency } : {}),
    });
    const invoke = async (key?: string, caller: string | null = 'caller-a', reason = 'r') =>
      (await handler(
        jsonEvent(
          { reason },
          {
            orderId: 'o-1',
            headers: {
              'content-type': 'application/json',
              ...(key === undefined ? {} : { 'Idempotency-Key': key }),
            },
            ...(caller === null ? {} : { caller }),
          },
        ),
        lambdaContext(),
      )) as APIGatewayProxyStructuredResultV2;
    return { producer, invoke };
  };

  it("logs a replayed answer as one, under the retry's own correlation id, and publishes nothing for it", async () => {
    const { idempotency } = memoryIdempotency();
    const producer = new MockProducer();
    const calls: string[] = [];
    const handler = createPublishHandler(cancelled, {
      config: testConfig(),
      producer,
      idempotency,
      observer: {
        published: (_events, _latency, about) =>
          void calls.push(`published ${about?.correlationId}`),
        refused: () => undefined,
        replayed: (about) => void calls.push(`replayed ${about.correlationId} ${about.caller}`),
        unconfirmed: () => undefined,
      },
    });
    const invoke = (correlationId: string) =>
      handler(
        jsonEvent(
          { reason: 'r' },
          {
            orderId: 'o-1',
            headers: {
              'content-type': 'application/json',
              'Idempotency-Key': 'k-1',
              'X-Correlation-Id': correlationId,
            },
            caller: 'caller-a',
          },
        ),
        lambdaContext(),
      ) as Promise<APIGatewayProxyStructuredResultV2>;

    const first = await invoke('first');
    const retry = await invoke('retry');
    expect(retry.body).toBe(first.body);
    expect(retry.headers?.['X-Correlation-Id']).toBe('retry');
    expect(calls).toEqual(['published first', 'replayed retry caller-a']);
    expect(producer.sent).toHaveLength(1);
  });

  it('runs a keyed request through the store, per caller and route', async () => {
    const { idempotency, answers } = memoryIdempotency();
    const { producer, invoke } = setUpWith(idempotency);
    const first = await invoke('key-1');
    const retry = await invoke('key-1');
    expect(first.statusCode).toBe(202);
    expect(retry.body).toBe(first.body);
    expect(producer.sent).toHaveLength(1);
    expect([...answers.keys()]).toEqual(['order-cancelled#caller-a#key-1']);
  });

  it('treats one key from two callers as two requests, with two different event ids', async () => {
    const { idempotency } = memoryIdempotency();
    const { producer, invoke } = setUpWith(idempotency);
    const fromA = json(await invoke('shared-key', 'caller-a'));
    const fromB = json(await invoke('shared-key', 'caller-b'));
    expect(producer.sent).toHaveLength(2);
    expect(fromA.eventId).not.toBe(fromB.eventId);
  });

  it('derives the event id from caller, route, key, request and index, so a retry after a failure writes the same id', async () => {
    const forgetful: Idempotency = { run: (_prefix, _request, publish) => publish() };
    const producer = new MockProducer();
    const { invoke } = setUpWith(forgetful, producer);
    producer.failure = new PublishTimeoutError('no answer in time');
    expectProblem(await invoke('key-1'), 503, 'broker-unavailable');
    producer.failure = undefined;
    const retried = json(await invoke('key-1'));
    expect(retried.eventId).toBe(
      keyedEventId({
        caller: 'caller-a',
        eventType: 'order-cancelled',
        key: 'key-1',
        body: { reason: 'r' },
        pathOrderId: 'o-1',
      }),
    );
    expect(producer.sendOptions).toHaveLength(2);
    expect(producer.sent.map((record) => record.headers.ce_id)).toEqual([retried.eventId]);
    const another = json(await invoke('key-2'));
    expect(another.eventId).not.toBe(retried.eventId);
  });

  it('gives another request under the same key (its record gone) ids of its own, which consumers do not drop as copies', async () => {
    const forgetful: Idempotency = { run: (_prefix, _request, publish) => publish() };
    const { invoke } = setUpWith(forgetful);
    const first = json(await invoke('key-1', 'caller-a', 'first reason'));
    const second = json(await invoke('key-1', 'caller-a', 'corrected reason'));
    expect(second.eventId).not.toBe(first.eventId);
    // The same request again is a retry: the same id.
    expect(json(await invoke('key-1', 'caller-a', 'first reason')).eventId).toBe(first.eventId);
  });

  it('keeps random event ids for requests without a key', async () => {
    const { producer, invoke } = setUpWith(memoryIdempotency().idempotency);
    const first = json(await invoke());
    const second = json(await invoke());
    expect(first.eventId).not.toBe(second.eventId);
    expect(producer.sent).toHaveLength(2);
  });

  it('refuses a keyed request without a verified caller with 400, publishing nothing', async () => {
    const { idempotency, answers } = memoryIdempotency();
    const { producer, invoke } = setUpWith(idempotency);
    const problem = expectProblem(
      await invoke('key-1', null),
      400,
      'idempotency-key-without-caller',
    );
    expect(problem.errors[0].path).toBe('headers.idempotency-key');
    expect(producer.sent).toHaveLength(0);
    expect(answers.size).toBe(0);
  });

  it('validates the body before the store sees the request', async () => {
    const seen: unknown[] = [];
    const watching: Idempotency = {
      run: (_prefix, request, publish) => {
        seen.push(request);
        return publish();
      },
    };
    const producer = new MockProducer();
    const handler = createPublishHandler(cancelled, {
      config: testConfig(),
      producer,
      observer: bugsOnlyObserver,
      idempotency: watching,
    });
    const response = (await handler(
      jsonEvent(
        { reason: 42 },
        {
          orderId: 'o-1',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
          caller: 'caller-a',
        },
      ),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    expectProblem(response, 400, 'invalid-request');
    expect(seen).toHaveLength(0);
    expect(producer.sent).toHaveLength(0);
  });

  it('publishes a request without a key directly', async () => {
    const { idempotency, answers } = memoryIdempotency();
    const { producer, invoke } = setUpWith(idempotency);
    await invoke();
    await invoke();
    expect(producer.sent).toHaveLength(2);
    expect(answers.size).toBe(0);
  });

  it.each(['', 'k'.repeat(256), 'has space', 'ключ'])(
    'refuses the key %j with 400',
    async (key) => {
      const { idempotency } = memoryIdempotency();
      const { producer, invoke } = setUpWith(idempotency);
      const problem = expectProblem(await invoke(key), 400, 'invalid-request');
      expect(problem.errors[0].path).toBe('headers.idempotency-key');
      expect(producer.sent).toHaveLength(0);
    },
  );

  it('answers 501 to a key when the deployment has no store, publishing nothing', async () => {
    const { producer, invoke } = setUpWith();
    expectProblem(await invoke('key-1'), 501, 'idempotency-unsupported');
    expect(producer.sent).toHaveLength(0);
  });
});
