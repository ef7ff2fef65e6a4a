/**
 * GET /openapi.json: the API as an OpenAPI 3.1 document, generated rather than written. Request bodies are
 * z.toJSONSchema of the very zod schemas that validate them (lib/schemas.ts), response bodies of zod schemas
 * that the compiler holds to the code's own types (Receipt, ProblemDocument, HealthReport), so the document
 * cannot describe a field the service does not check or answer. Only prose and examples are written here.
 */
import * as z from 'zod/mini';
import { batchRequestSchema } from './batch-schema.js';
import { type EventType, eventCatalog, eventTypes, functionNameOf } from './catalog.js';
import { healthyReportSchema, unhealthyReportSchema } from './health.js';
import {
  brokerUnreachable,
  idempotencyKeyInFlight,
  idempotencyKeyReused,
  idempotencyUnsupported,
  invalidRequest,
  type ProblemDocument,
  payloadTooLarge,
  unsupportedMediaType,
} from './http/problem.js';
import { CORRELATION_ID } from './http/trace-context.js';
import type { Receipt } from './publisher.js';
import {
  idempotencyKeySchema,
  MAX_BATCH_EVENTS,
  MAX_BODY_BYTES,
  orderIdSchema,
  orderItemSchema,
} from './schemas.js';

export const receiptSchema = z.strictObject({
  eventId: z.uuid(),
  eventType: z.enum(eventTypes),
  topic: z.string().check(z.minLength(1)),
  partition: z.int().check(z.gte(0)),
  // Kafka offsets are int64: decimal strings, since JSON numbers lose precision above 2^53.
  offset: z.string().check(z.regex(/^\d+$/)),
});

export const batchReceiptSchema = z.strictObject({
  results: z.array(receiptSchema).check(z.minLength(1), z.maxLength(MAX_BATCH_EVENTS)),
});

// RFC 9457 lets problem documents carry extension members, so extra fields are allowed here.
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().check(z.gte(400), z.lte(599)),
  detail: z.string(),
  errors: z.optional(z.array(z.strictObject({ path: z.string(), message: z.string() }))),
  // A batch the broker acknowledged in part: each event's outcome, in request order.
  results: z.optional(
    z.array(
      z.union([
        z.strictObject({
          eventId: z.string(),
          status: z.literal('acknowledged'),
          partition: z.int(),
          offset: z.string(),
        }),
        z.strictObject({ eventId: z.string(), status: z.literal('not-acknowledged') }),
      ]),
    ),
  ),
});

// API Gateway answers 401 and 403 (its JWT authorizer) and 429 (throttling) before any function runs, in its own
// format ({"message":"Unauthorized"}; serverless-offline adds statusCode and error), not as a problem document.
const unauthorizedSchema = z.object({ message: z.string() });

const openApiDocumentSchema = z.looseObject({
  openapi: z.string().check(z.regex(/^3\.1\.\d+$/)),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

// The documented response schemas must describe exactly the types the code answers with: a change to one
// side only fails to compile. (HealthReport is itself inferred from its schemas.)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type ReceiptIsDocumented = Assert<Same<z.infer<typeof receiptSchema>, Receipt>>;
export type ProblemIsDocumented = Assert<Same<z.infer<typeof problemSchema>, ProblemDocument>>;
type Assert<T extends true> = T;

const asyncApiDocumentSchema = z.looseObject({
  asyncapi: z.string().check(z.regex(/^3\.0\.\d+$/)),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  channels: z.record(z.string(), z.unknown()),
});

/** order-created -> OrderCreated: the component name of an event type's request body. */
export const requestComponentOf = (eventType: EventType) => {
  const name = functionNameOf(eventType);
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
};

const requestSchemas = Object.fromEntries(
  eventTypes.map((eventType) => [requestComponentOf(eventType), eventCatalog[eventType].schema]),
);

const componentSchemas = {
  OrderId: orderIdSchema,
  OrderItem: orderItemSchema,
  ...requestSchemas,
  BatchRequest: batchRequestSchema,
  Receipt: receiptSchema,
  BatchReceipt: batchReceiptSchema,
  Problem: problemSchema,
  Unauthorized: unauthorizedSchema,
  IdempotencyKey: idempotencyKeySchema,
  CorrelationId: z.string().check(z.regex(CORRELATION_ID)),
  RetryAfterSeconds: z.int().check(z.gte(0)),
  HealthOk: healthyReportSchema,
  HealthUnavailable: unhealthyReportSchema,
  OpenApiDocument: openApiDocumentSchema,
  AsyncApiDocument: asyncApiDocumentSchema,
};
// Request components are named after the catalog's event types, so ids are strings; the tests resolve every $ref.
type ComponentId = string;
type JsonSchema = Record<string, unknown>;

const ref = (id: ComponentId) => ({ $ref: `#/components/schemas/${id}` });

/** JSON Schema draft 2020-12 (OpenAPI 3.1's dialect); `input`, so that a defaulted field (currency) is optional. */
const componentJsonSchemas = (): Record<string, JsonSchema> => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(componentSchemas)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // Each comes out as a standalone document; inside components, $schema and $id (a bare fragment) do not belong.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
};

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: ref('RetryAfterSeconds'),
  },
};

/** Every answer of a publishing function (not API Gateway's 401, 403 and 429) echoes or makes one. */
const correlationIdHeader = {
  'X-Correlation-Id': {
    description:
      'The request’s own X-Correlation-Id, or the one made up for it; also the record’s `ce_correlationid`.',
    required: true,
    schema: ref('CorrelationId'),
  },
};

const json = (id: ComponentId, example?: unknown) => ({
  'application/json': { schema: ref(id), ...(example === undefined ? {} : { example }) },
});

/** API Gateway's throttling (serverless.yml's route settings), on every route: open ones included. */
const tooManyRequests = {
  description:
    'Over the API’s request rate or burst limit (answered by API Gateway before any function runs); retry later.',
  content: json('Unauthorized', { message: 'Too Many Requests' }),
};

/** Both answers of GET /health: a monitor must see the state of now. */
const noStore = {
  'Cache-Control': {
    description: 'Not to be cached: the answer is the state of Kafka when it was asked.',
    required: true,
    schema: { type: 'string', const: 'no-store' },
  },
};

const problem = (
  status: number,
  description: string,
  example?: ProblemDocument,
  headers?: object,
) => ({
  description,
  headers: { ...correlationIdHeader, ...headers },
  content: {
    'application/problem+json': {
      schema: {
        allOf: [ref('Problem'), { type: 'object', properties: { status: { const: status } } }],
      },
      ...(example ? { example } : {}),
    },
  },
});

interface PublishingRoute {
  operationId: string;
  summary: string;
  description: string;
  body: ComponentId;
  receipt: ComponentId;
  orderIdInPath: boolean;
  example: unknown;
}

const publishingOperation = (route: PublishingRoute) => ({
  post: {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tags: ['publishing'],
    security: [{ bearerJwt: [] }],
    parameters: [
      ...(route.orderIdInPath
        ? [{ name: 'orderId', in: 'path', required: true, schema: ref('OrderId') }]
        : []),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Repeating a request with the same key answers the first one’s receipt instead of publishing again.',
        schema: ref('IdempotencyKey'),
      },
      {
        name: 'X-Correlation-Id',
        in: 'header',
        required: false,
        description:
          'Echoed on the answer and written on the record (`ce_correlationid`); one is made up without it. 1–128 printable ASCII characters, no spaces: anything else is refused with 400.',
        schema: ref('CorrelationId'),
      },
    ],
    requestBody: { required: true, content: json(route.body, route.example) },
    responses: {
      202: {
        description: 'The broker acknowledged every record (acks=all by default).',
        headers: correlationIdHeader,
        content: json(route.receipt),
      },
      ...errorResponses(),
    },
  },
});

/** Every error a publishing route answers; the examples come from the same factories the service answers with. */
const errorResponses = () => ({
  400: problem(
    400,
    'A body or path value breaks the schema, or the body is not JSON, is empty, or is not UTF-8; or the Idempotency-Key or X-Correlation-Id header is malformed, or an Idempotency-Key comes with a token that names no caller (`idempotency-key-without-caller`). `errors` lists each `{path, message}`.',
    invalidRequest([
      { path: 'body.items.0.quantity', message: 'Too small: expected number to be >=1' },
    ]).toDocument(),
  ),
  401: {
    description: 'No valid bearer token (checked by the API Gateway JWT authorizer).',
    content: json('Unauthorized', { message: 'Unauthorized' }),
  },
  403: {
    description:
      'The token lacks the publishing scope (order-events/publish unless the deployment names another).',
    content: json('Unauthorized', { message: 'Forbidden' }),
  },
  409: problem(
    409,
    'A request with this Idempotency-Key is still in flight; retry after Retry-After seconds.',
    idempotencyKeyInFlight().toDocument(),
    retryAfter,
  ),
  413: problem(
    413,
    `The body is over ${MAX_BODY_BYTES / 1024} KiB.`,
    payloadTooLarge(MAX_BODY_BYTES, 300_000).toDocument(),
  ),
  415: problem(
    415,
    'Content-Type is missing or not JSON (application/json, application/*+json).',
    unsupportedMediaType('text/plain').toDocument(),
  ),
  422: problem(
    422,
    'This Idempotency-Key was used before with a different body; use a new key for a new request.',
    idempotencyKeyReused().toDocument(),
  ),
  429: tooManyRequests,
  500: problem(
    500,
    "An unexpected error (logged, never shown). `detail` says what is known of Kafka's side: nothing published (before the send), unknown (during it), or acknowledged (after it).",
  ),
  501: problem(
    501,
    'An Idempotency-Key was sent to a deployment without an idempotency store.',
    idempotencyUnsupported().toDocument(),
  ),
  503: problem(
    503,
    'Kafka, or the idempotency store, could not be reached or did not answer in time; retry after Retry-After seconds, with the same Idempotency-Key. `broker-unavailable`: nothing was acknowledged (the event may have been written all the same); `events-partly-acknowledged` (batch): `results` says which events were acknowledged (sent without an Idempotency-Key, resend only the others); `time-budget-spent` and `idempotency-store-unavailable`: nothing was published.',
    brokerUnreachable().toDocument(),
    retryAfter,
  ),
});

/** One route per event type (from the catalog), then the batch route. */
export const publishingRoutes: Record<string, PublishingRoute> = {
  ...Object.fromEntries(
    eventTypes.map((eventType) => {
      const { route, orderIdFrom, example, description } = eventCatalog[eventType];
      const operation: PublishingRoute = {
        operationId: `publish${requestComponentOf(eventType)}`,
        summary: `Publish ${eventType}`,
        description,
        body: requestComponentOf(eventType),
        receipt: 'Receipt',
        orderIdInPath: orderIdFrom === 'path',
        example,
      };
      return [route.path, operation];
    }),
  ),
  '/order-events/batch': {
    operationId: 'publishOrderEventBatch',
    summary: `Publish 1–${MAX_BATCH_EVENTS} order events in one request`,
    description:
      'Validated all-or-nothing (one invalid event: 400, nothing published), sent as one produce request per broker that leads its partitions, answered in request order; a broker that fails its part: 503 `events-partly-acknowledged`.',
    body: 'BatchRequest',
    receipt: 'BatchReceipt',
    orderIdInPath: false,
    example: {
      events: eventTypes.map((eventType) => ({
        eventType,
        orderId: 'o-1001',
        ...eventCatalog[eventType].example,
      })),
    },
  },
};

export const buildOpenApiDocument = () => ({
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'order-events-publisher',
    version: '0.1.0',
    description:
      'Validates order lifecycle events and publishes them to Kafka. Objects are strict: an unknown field is an error.',
  },
  tags: [{ name: 'publishing' }, { name: 'operations' }],
  paths: {
    ...Object.fromEntries(
      Object.entries(publishingRoutes).map(([path, route]) => [path, publishingOperation(route)]),
    ),
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Kafka reachability and metadata latency; publishes nothing',
        tags: ['operations'],
        security: [],
        responses: {
          200: {
            description:
              'Kafka answered in time, has the topic, and every partition of it has a leader that answers.',
            headers: noStore,
            content: json('HealthOk'),
          },
          429: tooManyRequests,
          503: {
            description:
              'Kafka did not answer in time, refused the credentials, has no such topic (`unavailable`), or a partition of the topic has no leader that answers (`degraded`). `kafka.error` names which; the details are logged.',
            headers: { ...noStore, ...retryAfter },
            content: json('HealthUnavailable'),
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document',
        tags: ['operations'],
        security: [],
        responses: {
          200: {
            description: 'The OpenAPI 3.1 document of this API.',
            content: json('OpenApiDocument'),
          },
          429: tooManyRequests,
        },
      },
    },
    '/asyncapi.json': {
      get: {
        operationId: 'asyncApiDocument',
        summary: 'The AsyncAPI 3.0 document of the topic: its records, keys and headers',
        tags: ['operations'],
        security: [],
        responses: {
          200: {
            description: 'The AsyncAPI 3.0 document of the order-events topic.',
            content: json('AsyncApiDocument'),
          },
          429: tooManyRequests,
        },
      },
    },
  },
  components: {
    schemas: componentJsonSchemas(),
    securitySchemes: { bearerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
});

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
