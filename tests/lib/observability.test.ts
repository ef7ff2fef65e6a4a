import { describe, expect, it, jest } from '@jest/globals';
import {
  brokerUnavailable,
  eventsPartlyAcknowledged,
  internalError,
  invalidRequest,
} from '../../lib/http/problem.js';
import { createLogger, createMetrics, powertoolsObserver } from '../../lib/observability.js';
import { BrokerUnavailableError } from '../../lib/producer/errors.js';

/** Captures what Powertools writes: one JSON document per line, on stdout (or stderr for WARN and ERROR). */
const capture = () => {
  const lines: Record<string, unknown>[] = [];
  const record = (chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};

const published = {
  eventType: 'order-cancelled' as const,
  eventId: 'e-1',
  orderId: 'o-1',
  topic: 'order-events',
  partition: 2,
  offset: '41',
};

/** What a request carried, for its log lines. */
const onRoute = (route: string) => ({ route, correlationId: 'corr-1' });

describe('powertoolsObserver', () => {
  it('logs one line per published event with its identifiers, position and latency, and emits EMF metrics', () => {
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).published([published], 1.25);
    } finally {
      restore();
    }
    expect(lines.find((line) => line.message === 'published')).toMatchObject({
      level: 'INFO',
      service: 'order-events-publisher',
      ...published,
      latencyMs: 1.25,
    });
    const emf = lines.filter((line) => line._aws !== undefined);
    const metric = (name: string) => emf.find((line) => name in line);
    expect(metric('EventsPublished')).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'OrderEvents', Dimensions: [expect.arrayContaining(['eventType'])] },
        ],
      },
      eventType: 'order-cancelled',
      EventsPublished: 1,
    });
    expect(metric('PublishLatency')).toMatchObject({
      eventType: 'order-cancelled',
      PublishLatency: 1.25,
    });
  });

  it('logs a refusal with where the request was wrong, never what it said, with its correlation id and caller, and counts a validation failure', () => {
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).refused(
        invalidRequest([{ path: 'body.customerId', message: 'Too big' }]),
        new Error('x'),
        { ...onRoute('order-created'), caller: 'client-a' },
      );
    } finally {
      restore();
    }
    const log = lines.find((line) => line.message === 'request refused');
    expect(log).toMatchObject({
      route: 'order-created',
      correlationId: 'corr-1',
      callerSubject: 'client-a',
      status: 400,
      problemType: 'invalid-request',
      invalidPaths: ['body.customerId'],
    });
    expect(lines.find((line) => line._aws !== undefined)).toMatchObject({
      ValidationFailures: 1,
      eventType: 'order-created',
    });
  });

  it("names the caller's subject in the publish line, and nothing else of its token", () => {
    const { lines, restore } = capture();
    try {
      const observer = powertoolsObserver(createLogger('INFO'), createMetrics());
      const about = { route: 'order-created', correlationId: 'corr-1' };
      observer.published([published], 1, { ...about, caller: 'client-a' });
      observer.published([published, { ...published, eventId: 'e-2' }], 1, {
        ...about,
        caller: 'client-b',
      });
      observer.published([published], 1, about);
    } finally {
      restore();
    }
    const logged = lines.filter((line) => String(line.message).startsWith('published'));
    expect(logged.map((line) => line.callerSubject)).toEqual(['client-a', 'client-b', undefined]);
    expect(logged.map((line) => line.correlationId)).toEqual(['corr-1', 'corr-1', 'corr-1']);
  });

  it('logs an answer replayed from the idempotency store with its correlation id and caller', () => {
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).replayed({
        ...onRoute('order-created'),
        caller: 'client-a',
      });
    } finally {
      restore();
    }
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'answered from the idempotency store',
        route: 'order-created',
        correlationId: 'corr-1',
        callerSubject: 'client-a',
      }),
    ]);
  });

  it('logs the first invalid paths of a request with thousands, and how many there were', () => {
    const errors = Array.from({ length: 5_000 }, (_, i) => ({
      path: `body.events.${i}.orderId`,
      message: 'Invalid input',
    }));
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).refused(
        invalidRequest(errors),
        new Error('x'),
        onRoute('order-events-batch'),
      );
    } finally {
      restore();
    }
    const log = lines.find((line) => line.message === 'request refused');
    expect(log?.invalidCount).toBe(5_000);
    expect(log?.invalidPaths).toEqual(errors.slice(0, 20).map((error) => error.path));
    expect(JSON.stringify(log).length).toBeLessThan(4_096);
  });

  it('logs a broker failure with its error class and Kafka error code, and counts it', () => {
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).refused(
        brokerUnavailable('down'),
        new BrokerUnavailableError('down', { kafkaErrorCode: 'NOT_LEADER_OR_FOLLOWER' }),
        onRoute('order-shipped'),
      );
    } finally {
      restore();
    }
    expect(lines.find((line) => line.message === 'publish failed')).toMatchObject({
      level: 'WARN',
      status: 503,
      errorClass: 'BrokerUnavailableError',
      kafkaErrorCode: 'NOT_LEADER_OR_FOLLOWER',
    });
    expect(lines.find((line) => line._aws !== undefined)).toMatchObject({ BrokerErrors: 1 });
  });

  it("logs a partly acknowledged batch with its broker failure's Kafka error code, and counts it as a broker error", () => {
    const { lines, restore } = capture();
    const cause = new BrokerUnavailableError('down', { kafkaErrorCode: 'NOT_ENOUGH_REPLICAS' });
    const problem = Object.assign(
      eventsPartlyAcknowledged([
        { eventId: 'e-1', status: 'acknowledged', partition: 0, offset: '7' },
        { eventId: 'e-2', status: 'not-acknowledged' },
      ]),
      { cause },
    );
    try {
      powertoolsObserver(createLogger('INFO'), createMetrics()).refused(
        problem,
        problem,
        onRoute('order-events-batch'),
      );
    } finally {
      restore();
    }
    expect(lines.find((line) => line.message === 'publish failed')).toMatchObject({
      problemType: 'events-partly-acknowledged',
      kafkaErrorCode: 'NOT_ENOUGH_REPLICAS',
    });
    expect(lines.find((line) => line._aws !== undefined)).toMatchObject({ BrokerErrors: 1 });
  });

  it.each([
    ['published', 'published, but the idempotency store did not record the answer'],
    ['failed', 'publish failed, and the idempotency store did not free its key'],
  ] as const)(
    'logs a %s publish that the idempotency store did not record with the store that failed, and counts it',
    (outcome, message) => {
      const storeError = Object.assign(new Error('the store timed out'), {
        name: 'IdempotencyStoreUnavailableError',
        store: 'redis',
        operation: 'delete',
      });
      const error = new Error('Failed to delete record from idempotency store', {
        cause: storeError,
      });
      error.name = 'IdempotencyPersistenceLayerError';
      const { lines, restore } = capture();
      try {
        powertoolsObserver(createLogger('INFO'), createMetrics()).unconfirmed(
          'order-created',
          ['e-1'],
          error,
          outcome,
        );
      } finally {
        restore();
      }
      expect(lines.find((line) => line.message === message)).toMatchObject({
        level: 'WARN',
        route: 'order-created',
        eventIds: ['e-1'],
        errorClass: 'IdempotencyPersistenceLayerError',
        store: 'redis',
        storeOperation: 'delete',
        storeErrorClass: 'IdempotencyStoreUnavailableError',
      });
      expect(lines.find((line) => 'IdempotencyStoreErrors' in line)).toMatchObject({
        IdempotencyStoreErrors: 1,
      });
    },
  );

  it('logs a bug at ERROR with its stack, and honours the level', () => {
    const { lines, restore } = capture();
    try {
      powertoolsObserver(createLogger('ERROR'), createMetrics()).published([published], 1);
      powertoolsObserver(createLogger('ERROR'), createMetrics()).refused(
        internalError(),
        new TypeError('boom'),
        onRoute('order-created'),
      );
    } finally {
      restore();
    }
    expect(lines.filter((line) => line.message === 'published')).toEqual([]);
    expect(lines.find((line) => line.message === 'publish failed unexpectedly')).toMatchObject({
      level: 'ERROR',
      errorClass: 'TypeError',
      error: { name: 'TypeError', stack: expect.any(String) },
    });
  });
});
