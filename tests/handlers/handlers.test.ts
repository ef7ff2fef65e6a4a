import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { eventTypes, functionRoutes, publisherDeclaration } from '../../lib/catalog.js';
import { KafkaJsEventProducer } from '../../lib/producer/kafkajs-producer.js';
import { createPublishHandler, type PublishHandler } from '../../lib/publisher.js';
import { orderCancelledSchema, orderCreatedSchema, orderShippedSchema } from '../../lib/schemas.js';
import { repoRoot } from '../e2e/support/service.js';
import { jsonEvent, lambdaContext, testConfig, validOrder } from '../support/events.js';
import { FakeKafkaClient } from '../support/fake-kafkajs.js';
import { bugsOnlyObserver } from '../support/observer.js';

type HandlerModule = { handler: PublishHandler };
const modules: Record<string, HandlerModule> = {};

beforeAll(async () => {
  // The handlers parse the environment when first imported, as a Lambda container does at cold start.
  // Port 1 on loopback refuses at once, so nothing here can reach a broker.
  process.env.KAFKA_BROKERS = '127.0.0.1:1';
  for (const name of eventTypes) {
    modules[name] = (await import(`../../handlers/${name}.js`)) as HandlerModule;
  }
});

describe('handler declarations', () => {
  it('one handler file per function of the catalog, and no other', () => {
    expect(
      readdirSync(path.join(repoRoot, 'handlers'))
        .map((file) => file.replace(/\.ts$/, ''))
        .sort(),
    ).toEqual(
      functionRoutes()
        .map((route) => route.handlerFile)
        .sort(),
    );
  });

  it.each([
    ['order-created', orderCreatedSchema, 'body'],
    ['order-shipped', orderShippedSchema, 'path'],
    ['order-cancelled', orderCancelledSchema, 'path'],
  ] as const)(
    '%s: the catalog declares its schema and where its orderId comes from',
    (name, schema, orderIdFrom) => {
      expect(publisherDeclaration(name)).toMatchObject({ eventType: name, schema, orderIdFrom });
    },
  );

  it.each(eventTypes)('%s exports a handler that validates before any Kafka work', async (name) => {
    const response = await modules[name]!.handler(
      jsonEvent({ unexpected: true }, { orderId: 'o-1' }),
      lambdaContext(),
    );
    expect(response).toMatchObject({
      statusCode: 400,
      headers: { 'Content-Type': 'application/problem+json' },
    });
  });
});

describe('a warm container', () => {
  it('connects once and reuses one kafkajs producer across many invocations', async () => {
    const client = new FakeKafkaClient();
    const config = testConfig();
    const handler = createPublishHandler(publisherDeclaration('order-created'), {
      config,
      producer: new KafkaJsEventProducer(config, () => client),
      observer: bugsOnlyObserver,
    });

    const statuses = [];
    for (let i = 0; i < 100; i += 1)
      statuses.push(
        ((await handler(jsonEvent(validOrder), lambdaContext())) as { statusCode: number })
          .statusCode,
      );

    expect(new Set(statuses)).toEqual(new Set([202]));
    expect(client.created).toHaveLength(1);
    expect(client.created[0]!.connects).toBe(1);
    expect(client.created[0]!.sends).toHaveLength(100);
  });
});

describe('the logs of an invocation', () => {
  /** What the container's Powertools Logger writes (stdout for INFO), one JSON document per line. */
  const captureLogLines = async (
    work: () => Promise<unknown>,
  ): Promise<Record<string, unknown>[]> => {
    const lines: Record<string, unknown>[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      for (const line of String(chunk).split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
    try {
      await work();
    } finally {
      spy.mockRestore();
    }
    return lines;
  };

  it.each([
    ['over HTTP', () => jsonEvent({ unexpected: true })],
    ['invoked directly', () => ({ unexpected: true })],
  ])(
    'carry the Lambda context of that invocation %s, and only of that one',
    async (_how, event) => {
      const handler = modules['order-created']!.handler;
      const lines = await captureLogLines(async () => {
        await handler(event(), { ...lambdaContext(), awsRequestId: 'request-a' });
        await handler(event(), { ...lambdaContext(), awsRequestId: 'request-b' });
      });
      const refusals = lines.filter((line) => line.message === 'request refused');
      expect(refusals.map((line) => line.function_request_id)).toEqual(['request-a', 'request-b']);
      expect(refusals[0]).toMatchObject({
        function_name: 'orderCreated',
        cold_start: expect.any(Boolean),
        status: 400,
      });
    },
  );
});
