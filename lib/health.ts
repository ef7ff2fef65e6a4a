/**
 * GET /health: can this container reach Kafka, and how long does the broker take to answer a metadata
 * request? Nothing is published. The check runs against a BrokerProbe (kafkajs in production, a fake in unit
 * tests) and is bounded by a deadline, so an unreachable cluster is a prompt 503, never a hanging request.
 *
 * The answer is public (no credential is needed), so an error is described without credentials or broker
 * addresses; the whole error goes to the logs.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { withDeadline } from './deadline.js';

export interface BrokerMetadata {
  /** Brokers the cluster reports. */
  brokers: number;
  /** Partitions of the topic; undefined when the topic does not exist. */
  topicPartitions: number | undefined;
}

export interface BrokerProbe {
  /** One round of metadata requests (opening a connection first if there is none). Publishes nothing. */
  fetchMetadata(): Promise<BrokerMetadata>;
}

// The response bodies, as zod schemas: the type the code builds and the schema GET /openapi.json documents
// are the same thing.
export const healthyReportSchema = z.strictObject({
  status: z.literal('ok'),
  kafka: z.strictObject({
    reachable: z.literal(true),
    brokers: z.int().check(z.gte(1)),
    metadataLatencyMs: z.number().check(z.gte(0)),
    topic: z.string(),
    partitions: z.int().check(z.gte(1)),
  }),
});

export const unhealthyReportSchema = z.strictObject({
  status: z.literal('unavailable'),
  kafka: z.strictObject({
    // true when the cluster answered but cannot take the events (the topic is missing).
    reachable: z.boolean(),
    topic: z.string(),
    error: z.string().check(z.maxLength(200)),
  }),
});

export type HealthReport =
  | z.infer<typeof healthyReportSchema>
  | z.infer<typeof unhealthyReportSchema>;

export interface HealthCheckOptions {
  topic: string;
  timeoutMs: number;
  /** Values that must never appear in an answer (e.g. a SASL password), on top of broker addresses. */
  redact?: readonly string[];
  /** Told of every failed check, with the whole error. */
  report?: (error: unknown) => void;
  clock?: () => number;
}

export const checkHealth = async (
  probe: BrokerProbe,
  options: HealthCheckOptions,
): Promise<HealthReport> => {
  const {
    topic,
    timeoutMs,
    redact = [],
    report = () => undefined,
    clock = () => performance.now(),
  } = options;
  const started = clock();
  let metadata: BrokerMetadata;
  try {
    metadata = await withDeadline(
      probe.fetchMetadata(),
      timeoutMs,
      () => new HealthTimeoutError(`Kafka did not answer within ${timeoutMs} ms`),
    );
  } catch (error) {
    report(error);
    return {
      status: 'unavailable',
      kafka: { reachable: false, topic, error: describeError(error, redact) },
    };
  }
  const metadataLatencyMs = Math.round((clock() - started) * 10) / 10;
  if (!metadata.topicPartitions) {
    return {
      status: 'unavailable',
      kafka: { reachable: true, topic, error: `The topic ${topic} does not exist` },
    };
  }
  return {
    status: 'ok',
    kafka: {
      reachable: true,
      brokers: metadata.brokers,
      metadataLatencyMs,
      topic,
      partitions: metadata.topicPartitions,
    },
  };
};

export const healthResponse = (
  report: HealthReport,
  retryAfterSeconds: number,
): APIGatewayProxyStructuredResultV2 => ({
  statusCode: report.status === 'ok' ? 200 : 503,
  headers: {
    'Content-Type': 'application/json',
    // A monitor must see the state of now, not a cached one.
    'Cache-Control': 'no-store',
    ...(report.status === 'ok' ? {} : { 'Retry-After': String(retryAfterSeconds) }),
  },
  body: JSON.stringify(report),
});

export class HealthTimeoutError extends Error {
  override name = 'HealthTimeoutError';
}

// host:port and bare IPv4 addresses: the cluster's layout is nobody's business outside it.
const addresses =
  /\[[0-9a-f:]+\](:\d+)?|\b[a-z0-9][a-z0-9.-]*:\d{1,5}\b|\b\d{1,3}(\.\d{1,3}){3}\b/gi;

/** "<ErrorName>: <first line of the message>", without addresses or the given secrets, at most 200 characters. */
export const describeError = (error: unknown, redact: readonly string[] = []): string => {
  const name = error instanceof Error ? error.name : 'Error';
  let message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  for (const secret of redact) if (secret) message = message.split(secret).join('[redacted]');
  message = message.replace(addresses, '<broker>');
  return `${name}: ${message}`.slice(0, 200);
};
