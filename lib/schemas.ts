/**
 * The request bodies of the three order events, and the building blocks they share.
 *
 * zod/mini rather than zod's classic API: the same validation, but about 14 KB bundled instead of about
 * 450 KB, which matters for every cold start. Every object is strict, so a misspelt field is an error
 * rather than silently dropped; every string is non-empty and bounded; numbers are finite by construction
 * (zod 4 rejects Infinity, which JSON.parse produces for 1e999).
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// English messages ("Too small: expected string to have >=1 characters"); zod/mini ships none by default.
z.config(en());

const MAX_TEXT = 256;
const MAX_ITEMS = 500;

/** Safe in a Kafka key, a URL path segment and a log line: 1-64 ASCII letters, digits, '-', '_', '.', ':'. */
export const orderIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(
      /^[A-Za-z0-9._:-]+$/,
      "orderId may only contain ASCII letters, digits, '-', '_', '.' and ':'",
    ),
  );

const text = (max = MAX_TEXT) => z.string().check(z.minLength(1), z.maxLength(max));
const amount = () => z.number().check(z.gte(0), z.lte(1e12));

export const orderItemSchema = z.strictObject({
  sku: text(64),
  quantity: z.int().check(z.gte(1), z.lte(1_000_000)),
  unitPrice: amount(),
});

export const orderCreatedSchema = z.strictObject({
  orderId: orderIdSchema,
  customerId: text(64),
  items: z.array(orderItemSchema).check(z.minLength(1), z.maxLength(MAX_ITEMS)),
  total: amount(),
  currency: z._default(
    z.string().check(z.regex(/^[A-Z]{3}$/, 'currency must be 3 upper-case letters (ISO 4217)')),
    'USD',
  ),
});

export const orderShippedSchema = z.strictObject({
  trackingNumber: text(128),
  carrier: z.optional(text(64)),
});

export const orderCancelledSchema = z.strictObject({
  reason: text(1024),
});

/** Request bodies are refused (413) over this size, before they are parsed. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Request bodies are refused (400) when they nest arrays and objects deeper than this, before they are
 * parsed. The deepest request, a batch of new orders, nests five levels (body, events, event, items, item).
 */
export const MAX_BODY_NESTING = 16;

/** The Idempotency-Key request header: a caller's token for one request, retried as it is. */
export const idempotencyKeySchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[\x21-\x7e]+$/, 'Idempotency-Key may only contain visible ASCII characters'),
  );

export type OrderCreated = z.infer<typeof orderCreatedSchema>;
export type OrderShipped = z.infer<typeof orderShippedSchema>;
export type OrderCancelled = z.infer<typeof orderCancelledSchema>;

export const MAX_BATCH_EVENTS = 500;
