// The minimal validating handler: what no handler that checks its input can skip, in the fewest steps. The loop
// worker runs it warm, and cold-minimal-handler.ts runs it as a cold start; both use this one definition.
import type { Producer, ProducerConfig } from 'kafkajs';
import type { Config } from '../../lib/config.js';
import { buildOrderEvent, type OrderEvent, toKafkaRecord } from '../../lib/events.js';
import {
  createLogger,
  createMetrics,
  type PublishObserver,
  powertoolsObserver,
} from '../../lib/observability.js';
import type { OutgoingRecord } from '../../lib/producer/event-producer.js';
import { orderCreatedSchema } from '../../lib/schemas.js';

/** What raw sends for an event: its record's key, value and headers. */
export type RawRecord = Pick<OutgoingRecord, 'key' | 'value' | 'headers'>;

/** The producer settings the service's own producer uses (lib/producer/kafkajs-producer.ts). */
export const rawProducerConfig = (config: Config): ProducerConfig => ({
  idempotent: config.idempotent,
  allowAutoTopicCreation: false,
  ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
});

/** One record, sent by kafkajs as the handler's producer sends it. */
export const sendRecord = (config: Config, producer: Producer, message: RawRecord) =>
  producer.send({
    topic: config.topic,
    messages: [message],
    acks: config.acks,
    timeout: config.requestTimeoutMs,
  });

/** The handler's own log line and EMF metrics (lib/observability.ts), to stdout as on Lambda. */
export const handlerObserver = (config: Config): PublishObserver =>
  powertoolsObserver(createLogger(config.logLevel), createMetrics());

const nowMs = () => performance.now();

export const minimalHandler = (config: Config, producer: Producer, observer: PublishObserver) => {
  /** kafkajs's send of an event's record, then the one log line and EMF document every publish writes. */
  const sendObserved = async (event: OrderEvent, message: RawRecord) => {
    const start = nowMs();
    const [result] = await sendRecord(config, producer, message);
    const latencyMs = nowMs() - start;
    if (!result) throw new Error('kafkajs returned no partition result');
    const { eventId, eventType, orderId } = event;
    observer.published(
      [
        {
          eventId,
          eventType,
          orderId,
          topic: config.topic,
          partition: result.partition,
          offset: String(result.baseOffset),
        },
      ],
      latencyMs,
    );
    return result;
  };

  /**
   * JSON.parse of the request's body, the route's own schema, the event and its record (lib/events.ts), the
   * send, the log line and metrics. No middy, no error answers, no deadline, trace context or caller.
   */
  const publish = async (body: string) => {
    const parsed = orderCreatedSchema.safeParse(JSON.parse(body));
    if (!parsed.success) throw new Error('the minimal handler refused the body');
    const event = buildOrderEvent('order-created', parsed.data.orderId, parsed.data);
    const { key, value, headers } = toKafkaRecord(event, config.topic, config.eventSource);
    return sendObserved(event, { key, value, headers });
  };

  return { sendObserved, publish };
};
