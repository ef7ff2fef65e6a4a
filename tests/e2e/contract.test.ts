// The OpenAPI document against the running service: real requests to the service as `npm start` runs it,
// each real answer checked against the schema the document gives for that route, status and media type
// (with Ajv, not with the zod schemas the document came from). Also GET /health, in and out of an outage.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AsyncApiDocument, buildAsyncApiDocument } from '../../lib/asyncapi.js';
import { dataschemaOf, eventCatalog, eventTypes } from '../../lib/catalog.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../../lib/openapi.js';
import { asyncApiRecordValidator } from '../support/asyncapi-validator.js';
import { openApiValidator } from '../support/openapi-validator.js';
import { ALL_BROKERS, waitUntil } from './support/harness.js';
import { post, publishTo, type Reply } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { endOffsets, readWithKcat } from './support/topic.js';

const TOPIC = 'order-events';
let service: RunningService;
let served: OpenApiDocument;
let validator: ReturnType<typeof openApiValidator>;

const get = async (url: string): Promise<Reply> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
};

beforeAll(async () => {
  service = await startService({ http: 3360, lambda: 3362, broker: 19360 });
  const reply = await get(`${service.http}/openapi.json`);
  expect(reply.status).toBe(200);
  // What clients download is what is validated against.
  served = reply.body as unknown as OpenApiDocument;
  validator = openApiValidator(served);
}, 180_000);

afterAll(async () => {
  await service?.stop();
}, 60_000);

const json = { 'content-type': 'application/json' };
const publish = (path: string, body: unknown, headers?: Record<string, string>) =>
  publishTo(service, path, body, headers);

/** The reply's status and media type are documented for the route, and its body matches that schema. */
const expectConforms = (route: string, method: string, reply: Reply) => {
  const mediaType = reply.headers.get('content-type')?.split(';')[0]?.trim() ?? '(none)';
  const result = validator.response(route, method, reply.status, mediaType, reply.body);
  expect({ route, status: reply.status, mediaType, body: reply.body, ...result }).toEqual({
    route,
    status: reply.status,
    mediaType,
    body: reply.body,
    valid: true,
    errors: [],
  });
};

const order = (orderId: string) => ({
  orderId,
  customerId: 'c-1',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 2 }],
  total: 2,
});

describe('GET /openapi.json', () => {
  it('serves the generated document, without a credential, as its own schema says', async () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expectConforms('/openapi.json', 'get', await get(`${service.http}/openapi.json`));
  });
});

describe('GET /asyncapi.json', () => {
  it('serves the generated document of the topic, without a credential, as its own schema says', async () => {
    const reply = await get(`${service.http}/asyncapi.json`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument({ topic: TOPIC }))));
    expectConforms('/asyncapi.json', 'get', reply);
  });
});

describe('publishing routes answer as documented', () => {
  it.each(
    eventTypes.map((eventType) => {
      const { route, example, orderIdFrom } = eventCatalog[eventType];
      const body = orderIdFrom === 'body' ? { ...example, orderId: 'contract-1' } : example;
      return [route.path, route.path.replace('{orderId}', 'contract-1'), body] as const;
    }),
  )('202 from POST %s', async (route, path, body) => {
    const reply = await publish(path, body);
    expect(reply.status).toBe(202);
    expectConforms(route, 'post', reply);
  });

  it('202 from POST /order-events/batch', async () => {
    const reply = await publish('/order-events/batch', {
      events: [
        { eventType: 'order-created', ...order('contract-2') },
        { eventType: 'order-cancelled', orderId: 'contract-2', reason: 'r' },
      ],
    });
    expect(reply.status).toBe(202);
    expectConforms('/order-events/batch', 'post', reply);
  });

  it.each([
    [
      '/orders',
      '/orders',
      'a body that breaks the schema',
      { ...order('contract-3'), total: -1 },
      json,
      400,
    ],
    ['/orders', '/orders', 'malformed JSON', '{"orderId": ', json, 400],
    [
      '/orders/{orderId}/shipment',
      '/orders/bad%20id/shipment',
      'an invalid orderId in the path',
      { trackingNumber: 'T' },
      json,
      400,
    ],
    [
      '/orders/{orderId}/cancellation',
      '/orders/contract-3/cancellation',
      'an empty body',
      '',
      json,
      400,
    ],
    [
      '/orders',
      '/orders',
      'a body over 256 KiB',
      { ...order('contract-3'), notes: 'x'.repeat(300 * 1024) },
      json,
      413,
    ],
    [
      '/orders/{orderId}/shipment',
      '/orders/contract-3/shipment',
      'a text/plain body',
      { trackingNumber: 'T' },
      { 'content-type': 'text/plain' },
      415,
    ],
  ])('POST %s (%s) with %s', async (route, path, _what, body, headers, status) => {
    const reply = await publish(path, body, headers);
    expect(reply.status).toBe(status);
    expectConforms(route, 'post', reply);
  });

  it.each([
    ['/orders', '/orders'],
    ['/orders/{orderId}/cancellation', '/orders/contract-4/cancellation'],
  ])('401 from POST %s without a bearer token', async (route, path) => {
    const reply = await post(`${service.http}${path}`, { reason: 'r' }, json);
    expect(reply.status).toBe(401);
    expectConforms(route, 'post', reply);
  });

  it('422 when an Idempotency-Key is reused with a different body', async () => {
    const key = { ...json, 'idempotency-key': `contract-${Date.now()}` };
    expectConforms(
      '/orders/{orderId}/cancellation',
      'post',
      await publish('/orders/contract-5/cancellation', { reason: 'first' }, key),
    );
    const reply = await publish('/orders/contract-5/cancellation', { reason: 'second' }, key);
    expect(reply.status).toBe(422);
    expectConforms('/orders/{orderId}/cancellation', 'post', reply);
  });
});

describe('the records on the topic', () => {
  it('keep the AsyncAPI document the service serves, and name their schema in ce_dataschema', async () => {
    const served = (await get(`${service.http}/asyncapi.json`)).body as unknown as AsyncApiDocument;
    const validator = asyncApiRecordValidator(served);
    // One event of each type of the catalog, published here (whatever the tests above did).
    for (const eventType of eventTypes) {
      const { route, example, orderIdFrom } = eventCatalog[eventType];
      const body = orderIdFrom === 'body' ? { ...example, orderId: 'contract-records' } : example;
      expect(
        (await publish(route.path.replace('{orderId}', 'contract-records'), body)).status,
      ).toBe(202);
    }
    const records = await readWithKcat(service.kafkaBrokers, TOPIC);
    expect(new Set(records.map((record) => record.headers.ce_type))).toEqual(new Set(eventTypes));
    for (const record of records) {
      expect([record.offset, validator.violations(record)]).toEqual([record.offset, []]);
      expect(record.headers.ce_dataschema).toBe(dataschemaOf(JSON.parse(record.value).eventType));
    }
  });
});

describe('GET /health', () => {
  const health = () => get(`${service.http}/health`);
  // The same warm container recovers on its own; a check or two may still see the old state.
  const healthyAgain = () =>
    waitUntil(health, (reply) => reply.status === 200, { timeoutMs: 5_000, intervalMs: 250 });

  it('is 200 with the broker’s metadata, needs no credential, and publishes nothing', async () => {
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    const replies = [await health(), await health(), await health()];
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expectConforms('/health', 'get', reply);
      expect(reply.body).toMatchObject({
        status: 'ok',
        kafka: { reachable: true, brokers: 3, topic: TOPIC, partitions: 3 },
      });
    }
    expect(replies[0]!.headers.get('cache-control')).toBe('no-store');
    expect(await endOffsets(service.kafkaBrokers, TOPIC)).toEqual(before);
  });

  it('is 503 with Retry-After while every broker is down, and 200 again once they are back', async () => {
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    await service.control.brokerDown(ALL_BROKERS);
    try {
      const reply = await health();
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).toBe('1');
      expectConforms('/health', 'get', reply);
      expect(reply.body).toMatchObject({
        status: 'unavailable',
        kafka: { reachable: false, topic: TOPIC },
      });
      expect(JSON.stringify(reply.body)).not.toMatch(/127\.0\.0\.1|localhost:\d/);
    } finally {
      await service.control.brokerUp(ALL_BROKERS);
    }
    const reply = await healthyAgain();
    expect(reply.status).toBe(200);
    expectConforms('/health', 'get', reply);
    expect(await endOffsets(service.kafkaBrokers, TOPIC)).toEqual(before);
    // Neither a crash nor an unhandled rejection on the way.
    expect(service.output().filter((line) => /unhandled|uncaught|exited/i.test(line))).toEqual([]);
  });

  it('is 503 by its 3 s deadline when the brokers answer too slowly', async () => {
    await service.control.setRtt(ALL_BROKERS, 6_000);
    try {
      // The brokers would answer after 6 s: an answer that says `timeout` is the check's own deadline's.
      const reply = await health();
      expect(reply.status).toBe(503);
      expectConforms('/health', 'get', reply);
      expect(reply.body).toMatchObject({
        kafka: {
          reachable: false,
          error: 'timeout',
        },
      });
    } finally {
      await service.control.setRtt(ALL_BROKERS, 0);
    }
    expect((await healthyAgain()).status).toBe(200);
  });
});
