/**
 * The event catalog: every order event type, declared once. The handlers, serverless.yml's functions
 * (deploy/functions.cjs), the OpenAPI and AsyncAPI documents, the batch route's schema (batch-schema.ts), the
 * `npm start` banner and the tests' route lists are all derived from it. Adding an event type is its request schema
 * (lib/schemas.ts), one entry here and a two-line handler file (README: "Adding an event type").
 *
 * This module loads zod and the schemas only, never the publishing runtime: deploy/functions.cjs reads it
 * at `serverless package` time, and the OpenAPI and AsyncAPI handlers bundle it without Kafka.
 */
import type * as z from 'zod/mini';
import { orderCancelledSchema, orderCreatedSchema, orderShippedSchema } from './schemas.js';

export type HttpMethod = 'GET' | 'POST';

/** A zod object schema: its shape is spread into the batch route's and the record value's schemas. */
type ObjectSchema<Output> = z.ZodMiniType<Output> & { shape: z.core.$ZodShape };

/** What a request publishes, and from where; the request schema is strict and validates the body. */
type Publishing =
  | {
      /** The body carries orderId (the schema has it). */
      orderIdFrom: 'body';
      schema: ObjectSchema<{ orderId: string }>;
    }
  | {
      /** orderId is the route's {orderId} path parameter. */
      orderIdFrom: 'path';
      schema: ObjectSchema<object>;
    };

export type EventTypeEntry = Publishing & {
  /**
   * The version of the record value's schema. Raise it for any change an existing consumer could not read
   * (a field removed, made required or narrowed, an enum value dropped): it shows in ce_dataschema, and
   * tests/lib/schema-compatibility.test.ts refuses such a change under an unchanged version.
   */
  version: number;
  route: { method: HttpMethod; path: string };
  /** One sentence for the OpenAPI operation and the AsyncAPI message. */
  description: string;
  /** A valid request body, shown in the OpenAPI document (and checked against the schema by the tests). */
  example: Record<string, unknown>;
};

// Amounts with cents and a currency, as most orders carry them: a container's rehearsal sends this example, and
// code V8 optimised for whole-number amounts only is thrown away when the first order with cents arrives.
const order = {
  orderId: 'o-1001',
  customerId: 'c-7',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 9.75 }],
  total: 19.5,
  currency: 'EUR',
};

export const eventCatalog = {
  'order-created': {
    version: 1,
    schema: orderCreatedSchema,
    orderIdFrom: 'body',
    route: { method: 'POST', path: '/orders' },
    description: 'An order was placed: its customer, items and total.',
    example: order,
  },
  'order-shipped': {
    version: 1,
    schema: orderShippedSchema,
    orderIdFrom: 'path',
    route: { method: 'POST', path: '/orders/{orderId}/shipment' },
    description: 'An order left the warehouse, with its tracking number.',
    example: { trackingNumber: '1Z999', carrier: 'UPS' },
  },
  'order-cancelled': {
    version: 1,
    schema: orderCancelledSchema,
    orderIdFrom: 'path',
    route: { method: 'POST', path: '/orders/{orderId}/cancellation' },
    description: 'An order was cancelled, and why.',
    example: { reason: 'customer request' },
  },
} as const satisfies Record<string, EventTypeEntry>;

export type EventType = keyof typeof eventCatalog;
export const eventTypes = Object.keys(eventCatalog) as [EventType, ...EventType[]];

/** The entry of one event type, widened to the catalog's entry type. */
export const catalogEntry = (eventType: EventType): EventTypeEntry => eventCatalog[eventType];

/** An event type with its entry: what lib/define-publisher.ts needs to make its handler. */
export type EventDeclaration = { eventType: EventType } & EventTypeEntry;

export const publisherDeclaration = (eventType: EventType): EventDeclaration => ({
  eventType,
  ...catalogEntry(eventType),
});

/**
 * ce_dataschema of this event type's records: a URN naming the schema and its version. The AsyncAPI
 * document gives the schema under this $id (`npm run asyncapi`, GET /asyncapi.json).
 */
export const dataschemaOf = (eventType: EventType): string =>
  `urn:order-events-publisher:schema:${eventType}:v${eventCatalog[eventType].version}`;

/** order-created -> orderCreated: the name of the function, as serverless.yml and Lambda know it. */
export const functionNameOf = (name: string): string =>
  name.replace(/-([a-z])/g, (_dash, letter: string) => letter.toUpperCase());

/** One Lambda function behind one HTTP route. */
export interface FunctionRoute {
  functionName: string;
  /** The file under handlers/ (without .ts) exporting `handler`. */
  handlerFile: string;
  method: HttpMethod;
  path: string;
  /** Publishes to Kafka, so needs a bearer token and has its concurrency capped. */
  publishes: boolean;
  /** The event type it publishes, for a single-event route. */
  eventType?: EventType;
}

/** The routes that are not one event type each: the batch route and the documents and health check. */
const otherRoutes: FunctionRoute[] = [
  {
    functionName: 'orderEventsBatch',
    handlerFile: 'order-events-batch',
    method: 'POST',
    path: '/order-events/batch',
    publishes: true,
  },
  {
    functionName: 'health',
    handlerFile: 'health',
    method: 'GET',
    path: '/health',
    publishes: false,
  },
  {
    functionName: 'openapi',
    handlerFile: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    publishes: false,
  },
  {
    functionName: 'asyncapi',
    handlerFile: 'asyncapi',
    method: 'GET',
    path: '/asyncapi.json',
    publishes: false,
  },
];

/** Every function and its route: one per event type (handlers/<eventType>.ts), then the others. */
export const functionRoutes = (): FunctionRoute[] => [
  ...eventTypes.map((eventType) => ({
    functionName: functionNameOf(eventType),
    handlerFile: eventType,
    method: eventCatalog[eventType].route.method,
    path: eventCatalog[eventType].route.path,
    publishes: true,
    eventType,
  })),
  ...otherRoutes,
];
