/**
 * GET /health: can this container reach Kafka, does the topic exist, does every partition of it have a leader
 * that answers, and how long does that take? Nothing is published. The check runs against a BrokerProbe
 * (kafkajs in production, a fake in unit tests) and is bounded by a deadline, so an unreachable cluster is a
 * prompt 503, never a hanging request.
 *
 * The answer is public (no credential is needed), so it names only a fixed category of failure; the error
 * itself, with its broker addresses, goes to the logs.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { clock as monotonicClock } from './clock.js';
import { withDeadline } from './deadline.js';
import { causeChain } from './producer/errors.js';

/** A health check slower than this is as good as down to whoever polls it. */
export const HEALTH_TIMEOUT_MS = 3_000;

/**
 * Whether a deadline that fell while the partitions' leaders were being asked (the cluster's metadata had come
 * back `answeredAfterMs` into the check) means a leader is unreachable: only when the leaders had at least half of
 * the check's time to answer. A leader silent for at least half the budget while the cluster answered is what a
 * hung leader looks like; with less than that (a cold TLS+SASL handshake and the metadata took most of it, or the
 * Lambda's remaining time shrank the budget), the check simply ran out of time, and says `timeout`.
 */
export const leadersHadFairShare = (answeredAfterMs: number, timeoutMs: number): boolean =>
  timeoutMs - answeredAfterMs >= timeoutMs / 2;

export interface BrokerMetadata {
  /** Brokers the cluster reports. */
  brokers: number;
  /** Partitions of the topic; undefined when the topic does not exist. */
  topicPartitions: number | undefined;
  /** Why some partition of the topic has no leader that answers; undefined when every leader answered. */
  leaderProblem?: unknown;
}

export interface BrokerProbe {
  /**
   * One round of metadata requests (opening a connection first if there is none). Publishes nothing.
   * Once `signal` aborts the caller has answered without waiting: the probe lets go of whatever this call holds.
   * `clusterAnswered` is told the cluster's metadata (no leaderProblem yet) as soon as it has come back, before
   * the partitions' leaders are asked, so that a caller whose deadline falls while a leader is silent still
   * knows what the cluster said.
   */
  fetchMetadata(
    signal: AbortSignal,
    clusterAnswered?: (metadata: BrokerMetadata) => void,
  ): Promise<BrokerMetadata>;
}

/** What the public learns of a failed check: one of these, never an error message. */
export const healthFailureCategories = [
  'timeout',
  'unreachable',
  'auth-failed',
  'topic-missing',
  'leader-unreachable',
] as const;
export type HealthFailureCategory = (typeof healthFailureCategories)[number];

// The response bodies, as zod schemas: the type the code builds and the schema GET /openapi.json documents
// are the same thing.
const clusterFacts = {
  reachable: z.literal(true),
  brokers: z.int().check(z.gte(1)),
  metadataLatencyMs: z.number().check(z.gte(0)),
  topic: z.string(),
  partitions: z.int().check(z.gte(1)),
};

export const healthyReportSchema = z.strictObject({
  status: z.literal('ok'),
  kafka: z.strictObject(clusterFacts),
});

/** The cluster answers and has the topic, but a partition has no leader that answers: its events get 503s. */
const degradedReportSchema = z.strictObject({
  status: z.literal('degraded'),
  kafka: z.strictObject({ ...clusterFacts, error: z.literal('leader-unreachable') }),
});

const unavailableReportSchema = z.strictObject({
  status: z.literal('unavailable'),
  kafka: z.strictObject({
    // true when the cluster answered but cannot take the events (the topic is missing).
    reachable: z.boolean(),
    topic: z.string(),
    error: z.enum(['timeout', 'unreachable', 'auth-failed', 'topic-missing']),
  }),
});

/** Every 503 answer. */
export const unhealthyReportSchema = z.union([degradedReportSchema, unavailableReportSchema]);

export type HealthReport =
  | z.infer<typeof healthyReportSchema>
  | z.infer<typeof unhealthyReportSchema>;

export interface HealthFailure {
  category: HealthFailureCategory;
  /** The whole error, for the logs only. */
  error: unknown;
}

export interface HealthCheckOptions {
  topic: string;
  timeoutMs: number;
  /** Told of every failed check, with its category and the whole error. */
  report?: (failure: HealthFailure) => void;
  clock?: () => number;
}

export const checkHealth = async (
  probe: BrokerProbe,
  options: HealthCheckOptions,
): Promise<HealthReport> => {
  const { topic, timeoutMs, report = () => undefined, clock = monotonicClock.nowMs } = options;
  const started = clock();
  const abandon = new AbortController();
  // What the cluster's metadata said, and how far into the check it came back (the latest, if it came twice).
  let cluster: { metadata: BrokerMetadata; answeredAfterMs: number } | undefined;
  let metadata: BrokerMetadata;
  try {
    metadata = await withDeadline(
      probe.fetchMetadata(abandon.signal, (answered) => {
        cluster = { metadata: answered, answeredAfterMs: clock() - started };
      }),
      timeoutMs,
      () => {
        abandon.abort();
        return new HealthTimeoutError(`Kafka did not answer within ${timeoutMs} ms`);
      },
    );
  } catch (error) {
    if (
      cluster &&
      error instanceof HealthTimeoutError &&
      leadersHadFairShare(cluster.answeredAfterMs, timeoutMs)
    ) {
      // The cluster answered, and the deadline fell while a partition's leader was still silent (a hung broker
      // accepts the request and never answers): a publish to that partition would get a 503 just the same.
      metadata = {
        ...cluster.metadata,
        leaderProblem: new HealthTimeoutError(
          `A leader of ${topic} did not answer within ${timeoutMs} ms`,
        ),
      };
    } else {
      const failure =
        cluster && error instanceof HealthTimeoutError
          ? new HealthTimeoutError(
              `Kafka did not answer within ${timeoutMs} ms: the cluster's metadata took ${Math.round(cluster.answeredAfterMs)} ms of it, more than half, and the partitions' leaders had not all answered`,
            )
          : error;
      const category = categorize(failure);
      report({ category, error: failure });
      return { status: 'unavailable', kafka: { reachable: false, topic, error: category } };
    }
  }
  const metadataLatencyMs = Math.round((clock() - started) * 10) / 10;
  if (!metadata.topicPartitions) {
    report({ category: 'topic-missing', error: new Error(`The topic ${topic} does not exist`) });
    return { status: 'unavailable', kafka: { reachable: true, topic, error: 'topic-missing' } };
  }
  const facts = {
    reachable: true as const,
    brokers: metadata.brokers,
    metadataLatencyMs,
    topic,
    partitions: metadata.topicPartitions,
  };
  if (metadata.leaderProblem !== undefined) {
    report({ category: 'leader-unreachable', error: metadata.leaderProblem });
    return { status: 'degraded', kafka: { ...facts, error: 'leader-unreachable' } };
  }
  return { status: 'ok', kafka: facts };
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

// Kafka's error types (kafkajs's `type`) that mean the cluster refused our credentials or our rights.
const refusals = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
]);

// kafkajs's own time limits (KAFKA_REQUEST_TIMEOUT_MS, KAFKA_CONNECT_TIMEOUT_MS) can end a check before its deadline
// does: a check that joins a client whose requests were sent earlier.
const isKafkaJsTimeout = (error: Error) =>
  error.name === 'KafkaJSRequestTimeoutError' ||
  (error.name === 'KafkaJSConnectionError' && error.message === 'Connection timeout');

/** A failure to reach the cluster, by its kind: the error and what caused it (kafkajs wraps retried errors). */
export const categorize = (error: unknown): 'timeout' | 'unreachable' | 'auth-failed' => {
  for (const link of causeChain(error)) {
    if (!(link instanceof Error)) break;
    if (link instanceof HealthTimeoutError || isKafkaJsTimeout(link)) return 'timeout';
    if (link.name === 'KafkaJSSASLAuthenticationError') return 'auth-failed';
    const type = (link as { type?: unknown }).type;
    if (typeof type === 'string' && refusals.has(type)) return 'auth-failed';
  }
  return 'unreachable';
};
