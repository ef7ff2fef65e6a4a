/**
 * The batch route's request schema: one event of each catalog type, discriminated by eventType, derived from
 * the catalog's schemas. Apart from lib/catalog.ts so that only the functions that validate or describe a batch
 * (the batch route, the OpenAPI document) construct it: a single-event function builds no schema it never uses.
 */
import * as z from 'zod/mini';
import { type EventType, eventCatalog, eventTypes } from './catalog.js';
import { MAX_BATCH_EVENTS, orderIdSchema } from './schemas.js';

/** One event of a batch: its eventType, its orderId, then the fields of that event. */
const batchEventOf = <T extends EventType>(eventType: T) =>
  z.strictObject({
    eventType: z.literal(eventType),
    orderId: orderIdSchema,
    ...eventCatalog[eventType].schema.shape,
  });

export const batchEventSchema = z.discriminatedUnion(
  'eventType',
  eventTypes.map(batchEventOf) as [
    ReturnType<typeof batchEventOf<EventType>>,
    ...ReturnType<typeof batchEventOf<EventType>>[],
  ],
);

export const batchRequestSchema = z.strictObject({
  events: z.array(batchEventSchema).check(z.minLength(1), z.maxLength(MAX_BATCH_EVENTS)),
});
