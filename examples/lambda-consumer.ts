// A Lambda consumer of the order-events topic (an MSK or self-managed Kafka event source mapping) with
// Powertools' Kafka consumer utility: it decodes each record's base64 value and headers and parses the value
// with the schema the service publishes (`order-events-publisher/events`; inside this repository,
// lib/records.ts). Events are deduplicated on ce_id. A record whose headers name a schema version this code
// was not built for is reported and skipped, as is one without a value, one whose value does not parse, and one
// whose ce_type or ce_id disagrees with its value (ce_id is what deduplication trusts).
import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import type { ConsumerRecord, ConsumerRecords } from '@aws-lambda-powertools/kafka/types';
// In another project: import { ... } from 'order-events-publisher/events';
import { dataschemaOf, type OrderEventValue, orderEventValueSchema } from '../lib/records.js';
import { type Deduplicator, inMemoryDeduplicator } from './deduplicator.js';

export interface OrderEventsLambdaOptions {
  onEvent: (event: OrderEventValue) => Promise<void>;
  onUnreadable: (problem: { partition: number; offset: number; reason: string }) => Promise<void>;
  /** In memory per container by default; see examples/deduplicator.ts for what to use across containers. */
  deduplicator?: Deduplicator;
}

/** Lambda hands headers over as a list of one-entry objects; Powertools decodes their bytes. */
const headersOf = (record: ConsumerRecord<string, OrderEventValue>): Record<string, string> =>
  Object.assign({}, ...(record.headers ?? []));

export const orderEventsLambdaHandler = ({
  onEvent,
  onUnreadable,
  deduplicator = inMemoryDeduplicator(),
}: OrderEventsLambdaOptions) =>
  kafkaConsumer<string, OrderEventValue>(
    async (event: ConsumerRecords<string, OrderEventValue>) => {
      for (const record of event.records) {
        const where = { partition: record.partition, offset: record.offset };
        const headers = headersOf(record);
        let value: OrderEventValue | null | undefined;
        try {
          // Parsed on first access, with the schema given below; a record without a value is not parsed.
          value = record.value;
        } catch (error) {
          await onUnreadable({ ...where, reason: `value: ${(error as Error).message}` });
          continue;
        }
        const problem = !value
          ? 'no value'
          : headers.ce_dataschema !== dataschemaOf(value.eventType)
            ? `schema ${headers.ce_dataschema}, not ${dataschemaOf(value.eventType)}`
            : headers.ce_type !== value.eventType
              ? `ce_type ${headers.ce_type}, not the value's ${value.eventType}`
              : headers.ce_id !== value.eventId
                ? `ce_id ${headers.ce_id}, not the value's eventId ${value.eventId}`
                : undefined;
        if (problem || !value) {
          await onUnreadable({ ...where, reason: problem ?? 'no value' });
          continue;
        }
        const eventId = value.eventId;
        if (deduplicator.handled(eventId)) continue;
        await onEvent(value);
        deduplicator.remember(eventId);
      }
    },
    { value: { type: SchemaType.JSON, parserSchema: orderEventValueSchema } },
  );
