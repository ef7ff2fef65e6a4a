/**
 * The records on the topic, for consumers: the zod schemas and TypeScript types of each event type's record
 * value (the envelope of lib/events.ts, then the event's fields) and of its CloudEvents headers. Exported as
 * `order-events-publisher/events`; the AsyncAPI document (lib/asyncapi.ts) is generated from these schemas.
 *
 * Value objects strip unknown fields rather than refusing them, so a consumer keeps working when a later
 * version of the service adds an optional field (a change the compatibility check lets through). Their JSON
 * Schema still lists exactly the fields the service writes (additionalProperties: false).
 */
import * as z from 'zod/mini';
import { dataschemaOf, type EventType, eventCatalog, eventTypes } from './catalog.js';
import { orderIdSchema } from './schemas.js';

type Envelope<T extends EventType> = {
  eventId: ReturnType<typeof z.uuid>;
  eventType: z.ZodMiniLiteral<T>;
  orderId: typeof orderIdSchema;
  timestamp: ReturnType<typeof z.iso.datetime>;
};
type FieldsShape<T extends EventType> = (typeof eventCatalog)[T]['schema']['shape'];
type ValueSchema<T extends EventType> = z.ZodMiniObject<
  Omit<FieldsShape<T>, keyof Envelope<T>> & Envelope<T>
>;

const envelopeOf = <T extends EventType>(eventType: T): Envelope<T> => ({
  /** A new UUID per event: deduplicate on it (it is also the ce_id header). */
  eventId: z.uuid(),
  eventType: z.literal(eventType),
  /** Also the record's key. */
  orderId: orderIdSchema,
  /** When the service accepted the event: ISO 8601, UTC. */
  timestamp: z.iso.datetime(),
});

// The envelope is spread twice, as buildOrderEvent does: its keys come first, and it wins over a field.
// Inside this generic function TypeScript widens eventCatalog[eventType] to every entry; the declared
// ValueSchema<T> is the precise type (checked by tests/lib/records.test.ts's type assertions).
const valueSchemaOf = <T extends EventType>(eventType: T): ValueSchema<T> =>
  z.object({
    ...envelopeOf(eventType),
    ...eventCatalog[eventType].schema.shape,
    ...envelopeOf(eventType),
  }) as unknown as ValueSchema<T>;

type ValueSchemas = { [T in EventType]: ValueSchema<T> };

/** Each event type's record value, keyed by eventType. */
export const recordValueSchemas = Object.fromEntries(
  eventTypes.map((eventType) => [eventType, valueSchemaOf(eventType)]),
) as ValueSchemas;

/** Any record value, told apart by eventType. */
export const orderEventValueSchema = z.discriminatedUnion(
  'eventType',
  Object.values(recordValueSchemas) as [ValueSchemas[EventType], ...ValueSchemas[EventType][]],
);

/** The record value of one event type, e.g. `OrderEventValue<'order-shipped'>`, or of any of them. */
export type OrderEventValue<T extends EventType = EventType> = T extends EventType
  ? z.infer<ValueSchemas[T]>
  : never;

/**
 * The CloudEvents headers (Kafka protocol binding, binary content mode) of one event type's records.
 * Other headers may be present, and are kept.
 */
/** W3C Trace Context's traceparent: version, trace id, parent id, flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const recordHeadersSchemaOf = <T extends EventType>(eventType: T) =>
  z.looseObject({
    ce_specversion: z.literal('1.0'),
    /** The eventId of the value: the key to deduplicate on. */
    ce_id: z.uuid(),
    ce_type: z.literal(eventType),
    ce_source: z.string().check(z.minLength(1)),
    ce_time: z.iso.datetime(),
    ce_subject: orderIdSchema,
    /** Names this event type's value schema and its version. */
    ce_dataschema: z.literal(dataschemaOf(eventType)),
    'content-type': z.literal('application/json'),
    /** The request's X-Correlation-Id, or the one the service made up and answered with (optional: records
     * written before it existed lack it). */
    ce_correlationid: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    /** W3C trace context of the request that wrote the record, when it had one (OpenTelemetry reads these). */
    traceparent: z.optional(z.string().check(z.regex(TRACEPARENT))),
    tracestate: z.optional(z.string()),
    /** The same, as CloudEvents' distributed-tracing extension attributes. */
    ce_traceparent: z.optional(z.string().check(z.regex(TRACEPARENT))),
    ce_tracestate: z.optional(z.string()),
  });

export type OrderEventHeaders<T extends EventType = EventType> = z.infer<
  ReturnType<typeof recordHeadersSchemaOf<T>>
>;

export { dataschemaOf, type EventType, eventTypes };

/** A record as a Kafka client hands it over: the value's bytes or text, and its headers. */
export interface RawRecord {
  value: string | Uint8Array | null;
  headers: Record<string, string | Uint8Array | undefined>;
}

export type ParsedRecord =
  | { ok: true; eventId: string; value: OrderEventValue }
  | { ok: false; reason: string };

const text = (bytes: string | Uint8Array | null | undefined): string | undefined =>
  bytes === null || bytes === undefined
    ? undefined
    : typeof bytes === 'string'
      ? bytes
      : new TextDecoder().decode(bytes);

/**
 * Reads one record: its headers must name a known event type and the schema version this code was built
 * with, and its value must be valid. A record this code cannot read is reported, not thrown.
 */
export const parseRecord = (record: RawRecord): ParsedRecord => {
  const type = text(record.headers.ce_type);
  if (!type || !(eventTypes as readonly string[]).includes(type))
    return { ok: false, reason: `unknown ce_type ${JSON.stringify(type)}` };
  const eventType = type as EventType;
  const headers = recordHeadersSchemaOf(eventType).safeParse(
    Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, text(value)])),
  );
  if (!headers.success) return { ok: false, reason: `headers: ${z.prettifyError(headers.error)}` };
  let json: unknown;
  try {
    json = JSON.parse(text(record.value) ?? '');
  } catch {
    return { ok: false, reason: 'the value is not JSON' };
  }
  const value = recordValueSchemas[eventType].safeParse(json);
  if (!value.success) return { ok: false, reason: `value: ${z.prettifyError(value.error)}` };
  if (value.data.eventId !== headers.data.ce_id)
    return { ok: false, reason: 'ce_id is not the eventId of the value' };
  return { ok: true, eventId: headers.data.ce_id, value: value.data };
};
