/**
 * What operators see of the publishing path, in the formats AWS tools read: one structured JSON log line per
 * invocation (Powertools Logger) and CloudWatch embedded-metric-format metrics (Powertools Metrics).
 * Bodies, customer fields and credentials are never logged: only identifiers, positions and error classes.
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Config } from './config.js';
import type { EventType } from './events.js';
import type { HttpProblem } from './http/problem.js';
import { BrokerError, causeChain } from './producer/errors.js';

export interface PublishedEvent {
  eventType: EventType;
  eventId: string;
  orderId: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Who published, and what ties the publish to the request: for the log line, never the token. */
export interface PublishContext {
  route: string;
  correlationId: string;
  /** The verified caller's subject, when the request came through the JWT authorizer. */
  caller?: string | undefined;
}

/** Told of every invocation's outcome; the default writes logs and metrics, tests record the calls. */
export interface PublishObserver {
  /** `about` names the caller (the verified token's subject, never the token) and the correlation id. */
  published(events: PublishedEvent[], latencyMs: number, about?: PublishContext): void;
  /** `about` as for a publish, so that a refusal's line can be found by the correlation id its answer carried. */
  refused(problem: HttpProblem, error: unknown, about: PublishContext): void;
  /** A keyed request answered from the idempotency store: the first request's answer, nothing published. */
  replayed(about: PublishContext): void;
  /**
   * The idempotency store did not record how a keyed publish ended: when it published, a retry may publish the
   * same ids again; when it failed, the key stays in progress (retries get 409) until its record lapses.
   */
  unconfirmed(
    route: string,
    eventIds: string[],
    error: unknown,
    outcome: 'published' | 'failed',
  ): void;
}

export const SERVICE_NAME = 'order-events-publisher';
export const METRICS_NAMESPACE = 'OrderEvents';

/**
 * Powertools' Logger. A rehearsal's (rehearsal.ts) is one too, made to drop what it logs: it builds each line as
 * the container's writes it, and writes none. One class for both, so that the code a rehearsal has V8 optimise
 * meets objects of the same hidden class in the first request (an object of another class makes V8 throw the
 * optimised code away, inside that request).
 */
export class ServiceLogger extends Logger {
  /** Builds each line and drops it (a rehearsal's). */
  drops = false;
  /** How many lines it built and dropped. */
  dropped = 0;

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!(this.drops || constructingOneThatDrops)) super.printLog(logLevel, log);
    else {
      log.prepareForPrint();
      JSON.stringify(log.getAttributes(), this.getJsonReplacer());
      this.dropped++;
    }
  }
}

/** Powertools' Metrics; a rehearsal's serialises each EMF document as publishStoredMetrics() does and drops it. */
export class ServiceMetrics extends Metrics {
  drops = false;
  dropped = 0;

  override publishStoredMetrics(): this {
    if (!this.drops) return super.publishStoredMetrics();
    try {
      if (this.hasStoredMetrics()) {
        JSON.stringify(this.serializeMetrics());
        this.dropped++;
      }
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/** The service's Logger options. */
export const loggerOptions = (logLevel: Config['logLevel']) => ({
  serviceName: SERVICE_NAME,
  logLevel,
});

/**
 * Set while a Logger that drops is made: Powertools prints what it logged while it read its options (a level that
 * Lambda's log controls override, say) from inside its constructor, before a subclass's fields are set.
 */
let constructingOneThatDrops = false;

/** The service's Logger and Metrics; `drops` for a rehearsal's, which write nothing. */
export const createLogger = (logLevel: Config['logLevel'], drops = false) => {
  constructingOneThatDrops = drops;
  try {
    return Object.assign(new ServiceLogger(loggerOptions(logLevel)), { drops });
  } finally {
    constructingOneThatDrops = false;
  }
};
export const createMetrics = (drops = false) =>
  Object.assign(new ServiceMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }), {
    drops,
  });

type Measurement = [
  name: string,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
];

export const powertoolsObserver = (logger: Logger, metrics: Metrics): PublishObserver => {
  /** One EMF document per call, from the container's Metrics (a singleMetric() per metric costs far more). */
  const emit = (eventType: string, ...measurements: Measurement[]) => {
    metrics.addDimension('eventType', eventType);
    for (const [name, unit, value] of measurements) metrics.addMetric(name, unit, value);
    metrics.publishStoredMetrics();
  };

  return {
    published(events, latencyMs, about) {
      const [only] = events;
      const context = about ? requestFields(about) : {};
      if (events.length === 1 && only) logger.info('published', { ...only, ...context, latencyMs });
      else logger.info('published batch', { count: events.length, events, ...context, latencyMs });
      for (const [eventType, count] of countBy(events.map((event) => event.eventType))) {
        emit(
          eventType,
          ['EventsPublished', MetricUnit.Count, count],
          ['PublishLatency', MetricUnit.Milliseconds, latencyMs],
        );
      }
    },

    refused(problem, error, about) {
      const kafkaErrorCode = brokerErrorOf(error)?.kafkaErrorCode;
      const details = {
        ...requestFields(about),
        status: problem.status,
        problemType: problem.slug,
        errorClass: error instanceof Error ? error.name : typeof error,
        ...(kafkaErrorCode ? { kafkaErrorCode } : {}),
        // Where the request was wrong, never what it said: the first few paths (the answer's), and how many.
        ...(problem.errors
          ? {
              invalidPaths: problem.errors.map((fieldError) => fieldError.path),
              invalidCount: problem.errorCount,
            }
          : {}),
      };
      if (problem.status === 500)
        logger.error('publish failed unexpectedly', { ...details, error: error as Error });
      else if (problem.slug === STORE_UNAVAILABLE)
        logger.warn('idempotency store unavailable', { ...details, ...storeCause(error) });
      else if (problem.status >= 500) logger.warn('publish failed', details);
      else logger.info('request refused', details);

      emit(about.route, [refusalMetric(problem, error), MetricUnit.Count, 1]);
    },

    replayed(about) {
      logger.info('answered from the idempotency store', requestFields(about));
    },

    unconfirmed(route, eventIds, error, outcome) {
      logger.warn(
        outcome === 'published'
          ? 'published, but the idempotency store did not record the answer'
          : 'publish failed, and the idempotency store did not free its key',
        {
          route,
          eventIds,
          errorClass: error instanceof Error ? error.name : typeof error,
          ...storeCause(error),
        },
      );
      emit(route, ['IdempotencyStoreErrors', MetricUnit.Count, 1]);
    },
  };
};

/** A log line's route, correlation id and caller (the verified token's subject, never the token). */
const requestFields = ({ route, correlationId, caller }: PublishContext) => ({
  route,
  correlationId,
  ...(caller === undefined ? {} : { callerSubject: caller }),
});

const STORE_UNAVAILABLE = 'idempotency-store-unavailable';

/** Which store failed and how: the innermost cause that names a store (see idempotency-stores.ts). */
const storeCause = (problem: unknown) => {
  let errorClass: string | undefined;
  for (const cause of causeChain(problem).slice(1)) {
    if (!(cause instanceof Error)) break;
    errorClass = cause.name;
    if ('store' in cause && 'operation' in cause)
      return { store: cause.store, storeOperation: cause.operation, storeErrorClass: cause.name };
  }
  return errorClass ? { storeErrorClass: errorClass } : {};
};

const refusalMetric = (problem: HttpProblem, error: unknown): string => {
  const { status } = problem;
  if (status === 400 || status === 413 || status === 415) return 'ValidationFailures';
  if (status < 500) return 'RequestsRefused';
  if (problem.slug === STORE_UNAVAILABLE) return 'IdempotencyStoreErrors';
  return brokerErrorOf(error) ? 'BrokerErrors' : 'PublishErrors';
};

/** The broker's failure behind a refusal: the error itself, or its cause (a partly acknowledged batch's). */
const brokerErrorOf = (error: unknown): BrokerError | undefined => {
  if (error instanceof BrokerError) return error;
  return error instanceof Error && error.cause instanceof BrokerError ? error.cause : undefined;
};

const countBy = <T>(values: T[]): Map<T, number> => {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
};
