import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import * as z from 'zod/mini';
import { handler } from '../../handlers/openapi.js';
import { batchRequestSchema } from '../../lib/batch-schema.js';
import { eventCatalog, eventTypes, functionRoutes } from '../../lib/catalog.js';
import { buildOpenApiDocument, publishingRoutes } from '../../lib/openapi.js';
import { orderShippedSchema } from '../../lib/schemas.js';
import { repoRoot } from '../e2e/support/service.js';
import { validOrder } from '../support/events.js';
import { openApiValidator } from '../support/openapi-validator.js';

const document = buildOpenApiDocument();
const validator = openApiValidator(document);
type Operation = {
  security: unknown[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: unknown;
  responses: Record<string, Response>;
};
type Response = {
  headers?: Record<string, unknown>;
  content: Record<string, { schema: unknown; example?: unknown }>;
};
const operation = (route: string, method: string) =>
  (document.paths as Record<string, Record<string, Operation>>)[route]?.[method];

const publishing = functionRoutes()
  .filter((route) => route.publishes)
  .map((route) => route.path);
const problemStatuses = ['400', '409', '413', '415', '422', '500', '501', '503'];
const requestSchemas: Record<string, { safeParse: (body: unknown) => { success: boolean } }> = {
  ...Object.fromEntries(
    eventTypes.map((eventType) => [
      eventCatalog[eventType].route.path,
      eventCatalog[eventType].schema,
    ]),
  ),
  '/order-events/batch': batchRequestSchema,
};

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with every route of the catalog, and nothing else', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(publishing).toEqual([
      ...eventTypes.map((eventType) => eventCatalog[eventType].route.path),
      '/order-events/batch',
    ]);
    const paths = document.paths as Record<string, object>;
    expect(Object.keys(paths).sort()).toEqual(
      functionRoutes()
        .map((route) => route.path)
        .sort(),
    );
    for (const route of functionRoutes())
      expect([route.path, Object.keys(paths[route.path]!)]).toEqual([
        route.path,
        [route.method.toLowerCase()],
      ]);
  });

  it.each(publishing)(
    'POST %s: bearer JWT, a JSON body, a 202 receipt and every problem response',
    (route) => {
      const post = operation(route, 'post')!;
      expect(post.security).toEqual([{ bearerJwt: [] }]);
      expect(post.requestBody).toMatchObject({
        required: true,
        content: { 'application/json': { schema: expect.any(Object) } },
      });
      expect(Object.keys(post.responses).sort()).toEqual([
        '202',
        '400',
        '401',
        '403',
        '409',
        '413',
        '415',
        '422',
        '429',
        '500',
        '501',
        '503',
      ]);
      expect(post.responses['202']!.content['application/json']!.schema).toEqual({
        $ref: `#/components/schemas/${route.endsWith('batch') ? 'BatchReceipt' : 'Receipt'}`,
      });
      for (const status of problemStatuses)
        expect(Object.keys(post.responses[status]!.content)).toEqual(['application/problem+json']);
      for (const status of ['401', '403', '429'])
        expect(post.responses[status]!.content).toHaveProperty(['application/json']);
      for (const status of ['409', '503'])
        expect(post.responses[status]!.headers).toHaveProperty('Retry-After');
      // Every answer the function itself gives carries the correlation id; API Gateway's own do not.
      for (const status of ['202', ...problemStatuses])
        expect(post.responses[status]!.headers).toHaveProperty(
          ['X-Correlation-Id', 'required'],
          true,
        );
      for (const status of ['401', '403', '429'])
        expect(post.responses[status]!.headers ?? {}).not.toHaveProperty('X-Correlation-Id');
      const orderIdInPath = route.includes('{orderId}');
      expect(post.parameters).toEqual([
        ...(orderIdInPath
          ? [expect.objectContaining({ name: 'orderId', in: 'path', required: true })]
          : []),
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
        expect.objectContaining({ name: 'X-Correlation-Id', in: 'header', required: false }),
      ]);
    },
  );

  it('needs no credential for /health, /openapi.json and /asyncapi.json', () => {
    expect(operation('/health', 'get')!.security).toEqual([]);
    expect(operation('/openapi.json', 'get')!.security).toEqual([]);
    expect(operation('/asyncapi.json', 'get')!.security).toEqual([]);
    expect(Object.keys(operation('/health', 'get')!.responses)).toEqual(['200', '429', '503']);
    expect(operation('/health', 'get')!.responses['503']!.headers).toHaveProperty('Retry-After');
    // lib/health.ts answers both with Cache-Control: no-store.
    for (const status of ['200', '503'])
      expect(operation('/health', 'get')!.responses[status]!.headers).toHaveProperty(
        ['Cache-Control', 'schema', 'const'],
        'no-store',
      );
  });

  it('documents the throttling 429 on the open routes too (serverless.yml throttles them)', () => {
    const throttled = operation('/orders', 'post')!.responses['429'];
    expect(throttled!.content['application/json']!.example).toEqual({
      message: 'Too Many Requests',
    });
    for (const route of ['/health', '/openapi.json', '/asyncapi.json'])
      expect([route, operation(route, 'get')!.responses['429']]).toEqual([route, throttled]);
    expect(Object.keys(operation('/openapi.json', 'get')!.responses)).toEqual(['200', '429']);
    expect(Object.keys(operation('/asyncapi.json', 'get')!.responses)).toEqual(['200', '429']);
  });

  it('declares the bearer JWT scheme and the schemas it refers to', () => {
    expect(document.components.securitySchemes).toEqual({
      bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map(
      (match) => match[1]!,
    );
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(document.components.schemas).toHaveProperty([ref.split('/').pop()!]);
    }
  });

  it('takes its request schemas from the zod schemas that validate the requests', () => {
    const { $schema: _, ...shipped } = z.toJSONSchema(orderShippedSchema, {
      target: 'draft-2020-12',
      io: 'input',
    });
    expect(document.components.schemas.OrderShipped).toEqual(shipped);
    // A defaulted field is optional for the caller.
    expect(document.components.schemas.OrderCreated).toMatchObject({
      required: ['orderId', 'customerId', 'items', 'total'],
      properties: { currency: { default: 'USD' } },
    });
  });

  it('compiles in a strict JSON Schema 2020-12 validator, examples included', () => {
    for (const [route, method, op] of Object.entries(document.paths).flatMap(([route, item]) =>
      Object.entries(item).map(([method, op]) => [route, method, op as Operation] as const),
    )) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [mediaType, { example }] of Object.entries(response.content)) {
          const result = validator.response(
            route,
            method,
            Number(status),
            mediaType,
            example ?? {},
          );
          if (example !== undefined)
            expect([route, status, result]).toEqual([route, status, { valid: true, errors: [] }]);
        }
      }
    }
  });
});

describe('the documented request schemas and the zod schemas agree', () => {
  const shipment = { trackingNumber: '1Z999' };
  const samples: [string, string, unknown][] = [
    ['/orders', 'a valid order', validOrder],
    ['/orders', 'a given currency', { ...validOrder, currency: 'EUR' }],
    ['/orders', 'a lower-case currency', { ...validOrder, currency: 'eur' }],
    ['/orders', 'an orderId with a space', { ...validOrder, orderId: 'bad id' }],
    ['/orders', 'no items', { ...validOrder, items: [] }],
    [
      '/orders',
      'a fractional quantity',
      { ...validOrder, items: [{ sku: 'A', quantity: 1.5, unitPrice: 1 }] },
    ],
    ['/orders', 'an unknown field', { ...validOrder, notes: 'unknown field' }],
    ['/orders/{orderId}/shipment', 'no carrier', shipment],
    ['/orders/{orderId}/shipment', 'an empty carrier', { ...shipment, carrier: '' }],
    ['/orders/{orderId}/shipment', 'an orderId in the body', { ...shipment, orderId: 'o-1' }],
    ['/orders/{orderId}/cancellation', 'a reason of 1024 characters', { reason: 'x'.repeat(1024) }],
    ['/orders/{orderId}/cancellation', 'a reason of 1025 characters', { reason: 'x'.repeat(1025) }],
    [
      '/order-events/batch',
      'one cancellation',
      { events: [{ eventType: 'order-cancelled', orderId: 'o-1', reason: 'r' }] },
    ],
    [
      '/order-events/batch',
      'an event without orderId',
      { events: [{ eventType: 'order-cancelled', reason: 'r' }] },
    ],
    [
      '/order-events/batch',
      'an unknown eventType',
      { events: [{ eventType: 'order-refunded', orderId: 'o-1' }] },
    ],
    ['/order-events/batch', 'no events', { events: [] }],
    ...Object.entries(publishingRoutes).map(([route, { example }]): [string, string, unknown] => [
      route,
      'the documented example',
      example,
    ]),
  ];

  it.each(samples)('POST %s, %s', (route, _label, body) => {
    const zodAccepts = requestSchemas[route]!.safeParse(body).success;
    expect(validator.request(route, 'post', body).valid).toBe(zodAccepts);
  });

  it('accepts every documented example', () => {
    for (const [route, { example }] of Object.entries(publishingRoutes)) {
      expect([route, requestSchemas[route]!.safeParse(example).success]).toEqual([route, true]);
    }
  });
});

describe('GET /openapi.json handler', () => {
  it('answers the document as JSON', async () => {
    const response = await handler();
    expect(response).toMatchObject({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(JSON.parse(response.body!)).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('bundles without configuration, Kafka or the publishing runtime', async () => {
    const { metafile } = await build({
      entryPoints: [path.join(repoRoot, 'handlers/openapi.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(metafile.inputs);
    expect(
      inputs.filter((input) => /lib\/(runtime|config|publisher)\.ts$|kafkajs|@middy/.test(input)),
    ).toEqual([]);
  });
});
