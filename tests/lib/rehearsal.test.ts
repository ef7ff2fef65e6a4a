import { setFlagsFromString } from 'node:v8';
import { describe, expect, it, jest } from '@jest/globals';
import { batchRoute } from '../../lib/batch.js';
import { eventTypes, publisherDeclaration } from '../../lib/catalog.js';
import { brokerUnavailable } from '../../lib/http/problem.js';
import { createLogger, type PublishObserver } from '../../lib/observability.js';
import { rehearsalProducer } from '../../lib/producer/kafkajs-rehearsal.js';
import { createPublishHandler, createRouteHandler } from '../../lib/publisher.js';
import {
  batchRehearsalRequest,
  rehearsalEvent,
  rehearsalRequestOf,
  rehearse,
  unwrittenObserver,
} from '../../lib/rehearsal.js';
import { testConfig } from '../support/events.js';
import { MockProducer } from '../support/mock-producer.js';
import { bugsOnlyObserver } from '../support/observer.js';

const recordingObserver = () => {
  const calls: string[] = [];
  const observer: PublishObserver = {
    published: () => calls.push('published'),
    refused: (problem) => calls.push(`refused ${problem.status}`),
    replayed: () => calls.push('replayed'),
    unconfirmed: () => calls.push('unconfirmed'),
  };
  return { calls, observer };
};

describe('rehearsing a route', () => {
  it.each(eventTypes)(
    '%s: the catalog example passes the whole route, every time',
    async (eventType) => {
      const producer = new MockProducer();
      const { calls, observer } = recordingObserver();
      const handler = createPublishHandler(publisherDeclaration(eventType), {
        config: testConfig(),
        producer,
        observer,
      });

      expect(await rehearse(handler, rehearsalRequestOf(publisherDeclaration(eventType)), 3)).toBe(
        3,
      );
      expect(calls).toEqual(['published', 'published', 'published']);
      expect(producer.sent.map((record) => record.headers.ce_type)).toEqual(
        Array(3).fill(eventType),
      );
    },
  );

  it('the batch route: one event of each type per rehearsal', async () => {
    const producer = new MockProducer();
    const handler = createRouteHandler(batchRoute, {
      config: testConfig(),
      producer,
      observer: bugsOnlyObserver,
    });

    expect(await rehearse(handler, batchRehearsalRequest('order-events-batch'), 2)).toBe(2);
    expect(producer.sent.map((record) => record.headers.ce_type)).toEqual([
      ...eventTypes,
      ...eventTypes,
    ]);
  });

  it('stops at the first answer that is not a 202, counting only accepted rehearsals', async () => {
    const { calls, observer } = recordingObserver();
    const handler = createPublishHandler(publisherDeclaration('order-created'), {
      config: testConfig(),
      producer: rehearsalProducer(testConfig()),
      observer,
    });
    const refused = { ...rehearsalRequestOf(publisherDeclaration('order-created')), body: {} };

    expect(await rehearse(handler, refused, 3)).toBe(0);
    expect(calls).toEqual(['refused 400']);
  });

  it('names the route of a batch rehearsal from the catalog, and refuses a file it does not know', () => {
    expect(batchRehearsalRequest('order-events-batch')).toMatchObject({
      method: 'POST',
      path: '/order-events/batch',
    });
    expect(() => batchRehearsalRequest('no-such-handler')).toThrow(/no route/);
  });

  it("sends the request as API Gateway and Lambda's runtime hand it over, every other one without a traceparent", () => {
    const request = rehearsalRequestOf(publisherDeclaration('order-created'));
    const traced = rehearsalEvent(request);
    const untraced = rehearsalEvent(request, false);

    // The headers API Gateway passes on and adds, in its order; the caller its JWT authorizer verified.
    expect(Object.keys(traced.headers)).toEqual([
      'accept',
      'authorization',
      'content-length',
      'content-type',
      'host',
      'traceparent',
      'user-agent',
      'x-amzn-trace-id',
      'x-forwarded-for',
      'x-forwarded-port',
      'x-forwarded-proto',
    ]);
    expect(Object.keys(untraced.headers)).toEqual(
      Object.keys(traced.headers).filter((name) => name !== 'traceparent'),
    );
    expect(traced.requestContext).toMatchObject({
      authorizer: { jwt: { claims: { sub: 'rehearsal' } } },
    });
    // Parsed from JSON: a route without path parameters has no such member at all.
    expect('pathParameters' in traced).toBe(false);
    expect(JSON.parse(traced.body ?? '')).toEqual(request.body);
  });

  it('makes objects of the hidden classes an event from API Gateway, parsed from JSON, has', () => {
    setFlagsFromString('--allow-natives-syntax');
    const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
      a: unknown,
      b: unknown,
    ) => boolean;
    // An event as API Gateway sends one for POST /orders to a function behind the JWT authorizer, parsed.
    const delivered = JSON.parse(
      JSON.stringify({
        version: '2.0',
        routeKey: 'POST /orders',
        rawPath: '/orders',
        rawQueryString: '',
        headers: {
          accept: 'application/json',
          authorization: 'Bearer a.b.c',
          'content-length': '99',
          'content-type': 'application/json',
          host: 'abc.execute-api.eu-west-1.amazonaws.com',
          'user-agent': 'curl/8.5.0',
          'x-amzn-trace-id': 'Root=1-67a0c0de-0123456789abcdef01234567',
          'x-forwarded-for': '203.0.113.7',
          'x-forwarded-port': '443',
          'x-forwarded-proto': 'https',
        },
        requestContext: {
          accountId: '123456789012',
          apiId: 'abc',
          authorizer: { jwt: { claims: { sub: 'user-1' }, scopes: ['order-events/publish'] } },
          domainName: 'abc.execute-api.eu-west-1.amazonaws.com',
          domainPrefix: 'abc',
          http: {
            method: 'POST',
            path: '/orders',
            protocol: 'HTTP/1.1',
            sourceIp: '203.0.113.7',
            userAgent: 'curl/8.5.0',
          },
          requestId: 'JKJaXmPLvHcESHA=',
          routeKey: 'POST /orders',
          stage: '$default',
          time: '03/Dec/2026:10:15:00 +0000',
          timeEpoch: 1_796_292_900_000,
        },
        body: '{}',
        isBase64Encoded: false,
      }),
    );
    const rehearsed = rehearsalEvent(
      rehearsalRequestOf(publisherDeclaration('order-created')),
      false,
    );
    const parts = (event: typeof delivered) => [
      event,
      event.headers,
      event.requestContext,
      event.requestContext.authorizer.jwt,
      event.requestContext.http,
    ];

    expect(parts(rehearsed).map((part, i) => sameHiddenClass(part, parts(delivered)[i]))).toEqual(
      Array(5).fill(true),
    );
    // The check tells shapes apart: the three headers the rehearsal used to send make another class.
    const fewerHeaders = JSON.parse(
      '{"content-type":"application/json","content-length":"99","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
    );
    expect(sameHiddenClass(fewerHeaders, delivered.headers)).toBe(false);
  });

  it('fills the path parameter of a route that takes orderId from its path', () => {
    const event = rehearsalEvent(rehearsalRequestOf(publisherDeclaration('order-shipped')));
    expect(event.rawPath).toBe('/orders/o-rehearsal/shipment');
    expect(event.pathParameters).toEqual({ orderId: 'o-rehearsal' });
  });
});

describe('the unwritten observer', () => {
  /** Everything written to stdout and stderr while `work` runs. */
  const writtenDuring = async (work: () => Promise<void> | void) => {
    const written: string[] = [];
    const record = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(record),
      jest.spyOn(process.stderr, 'write').mockImplementation(record),
    ];
    try {
      await work();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    return written;
  };

  it("builds each log line and EMF document with Powertools, as the container's observer does, and writes none", async () => {
    const { observer, logger, metrics } = unwrittenObserver('INFO');
    const published = {
      eventType: 'order-created' as const,
      eventId: 'e-1',
      orderId: 'o-1',
      topic: 'order-events',
      partition: 0,
      offset: '0',
    };

    const written = await writtenDuring(() => {
      observer.published([published], 1.5);
      observer.refused(brokerUnavailable('down'), new Error('down'), {
        route: 'order-created',
        correlationId: 'c-1',
      });
    });

    expect(written).toEqual([]);
    expect(logger.dropped).toBe(2);
    expect(metrics.dropped).toBe(2);
    // Nothing is left stored for a later document.
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it("writes nothing while it is made either, where the container's Logger of the same settings writes a warning", async () => {
    // Lambda's log controls at INFO, the service at DEBUG: Powertools warns while it reads its options.
    process.env.AWS_LAMBDA_LOG_LEVEL = 'INFO';
    try {
      expect(await writtenDuring(() => void unwrittenObserver('DEBUG'))).toEqual([]);
      const containers = await writtenDuring(() => void createLogger('DEBUG'));
      expect(containers.join('')).toContain('does not match AWS Lambda Advanced Logging Controls');
    } finally {
      delete process.env.AWS_LAMBDA_LOG_LEVEL;
    }
  });

  it('serves a rehearsed route: one line and one document per rehearsal, none of them written', async () => {
    const { observer, logger, metrics } = unwrittenObserver('INFO');
    const producer = rehearsalProducer(testConfig());
    const handler = createPublishHandler(publisherDeclaration('order-created'), {
      config: testConfig(),
      producer,
      observer,
    });

    let accepted = 0;
    let written: string[];
    try {
      // kafkajs as installed (the functions' bundles carry a patch) has Node warn of a negative timeout on its
      // first connection: connected before, so that only what the rehearsal writes is caught.
      await producer.send([], { timeoutMs: 1_000 });
      written = await writtenDuring(async () => {
        accepted = await rehearse(
          handler,
          rehearsalRequestOf(publisherDeclaration('order-created')),
          3,
        );
      });
    } finally {
      await producer.disconnect();
    }

    expect(accepted).toBe(3);
    expect(written).toEqual([]);
    expect(logger.dropped).toBe(3);
    expect(metrics.dropped).toBe(3);
  });
});
