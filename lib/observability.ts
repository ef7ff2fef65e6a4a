/**
 * What operators see of the publishing path, in the formats AWS tools read: one structured JSON log line per
 * invocation (Powertools Logger) and CloudWatch embedded-metric-format metrics (Powertools Metrics).
 * Bodies, customer fields and credentials are never logged: only identifiers, positions and error classes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];
import type { EventType } from './events.js';
import type { HttpProblem } from './http/problem.js';
import { BrokerError } from './producer/errors.js';

export interface PublishedEvent {
  eventType: EventType;
  eventId: string;
  orderId: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Told of every invocation's outcome; the default writes logs and metrics, tests record the calls. */
export interface PublishObserver {
  published(events: PublishedEvent[], latencyMs: number): void;
  refused(route: string, problem: HttpProblem, error: unknown): void;
}

export const SERVICE_NAME = 'order-events-publisher';
export const METRICS_NAMESPACE = 'OrderEvents';

export const createLogger = (logLevel: string) => new Logger({ serviceName: SERVICE_NAME, logLevel: logLevel as 'INFO' });
export const createMetrics = () => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export const powertoolsObserver = (logger: Logger, metrics: Metrics): PublishObserver => {
  // A single metric is flushed (as its own EMF document) as soon as it is added, dimensions and all.
  const emit = (eventType: string, name: string, unit: MetricUnit, value: number) => {
    const metric = metrics.singleMetric();
    metric.addDimension('eventType', eventType);
    metric.addMetric(name, unit, value);
  };
  return {
  published(events, latencyMs) {
    const [only] = events;
    if (events.length === 1 && only) logger.info('published', { ...only, latencyMs });
    else logger.info('published batch', { count: events.length, events, latencyMs });
    // One EMF document per event type, written by the container's Metrics object: a singleMetric() per metric
    // built a Metrics object and wrote a document for each (about 150 us of every warm invocation).
    for (const [eventType, count] of countBy(events.map((event) => event.eventType))) {
      metrics.addDimension('eventType', eventType);
      metrics.addMetric('EventsPublished', MetricUnit.Count, count);
      metrics.addMetric('PublishLatency', MetricUnit.Milliseconds, latencyMs);
      metrics.publishStoredMetrics();
    }
  },
  refused(route, problem, error) {
    const details = {
      route,
      status: problem.status,
      problemType: problem.slug,
      errorClass: error instanceof Error ? error.name : typeof error,
      ...(error instanceof BrokerError && error.kafkaErrorCode ? { kafkaErrorCode: error.kafkaErrorCode } : {}),
      // Where the request was wrong, never what it said.
      ...(problem.errors ? { invalidPaths: problem.errors.map((fieldError) => fieldError.path) } : {}),
    };
    if (problem.status === 500) logger.error('publish failed unexpectedly', { ...details, error: error as Error });
    else if (problem.status >= 500) logger.warn('publish failed', details);
    else logger.info('request refused', details);

    if (problem.status === 400 || problem.status === 413 || problem.status === 415) emit(route, 'ValidationFailures', MetricUnit.Count, 1);
    else if (problem.status >= 500) emit(route, error instanceof BrokerError ? 'BrokerErrors' : 'PublishErrors', MetricUnit.Count, 1);
    else emit(route, 'RequestsRefused', MetricUnit.Count, 1);
  },
  };
};

const countBy = <T>(values: T[]): Map<T, number> => {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
};
