// The service as `npm start` runs it (embedded broker + serverless-offline), over HTTP, checked against
// what is really on the topic, read back with kafkajs and with kcat.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { eventCatalog, eventTypes } from '../../lib/catalog.js';
import { DEV_SUBJECT } from '../../scripts/token.js';
import { waitUntil } from './support/harness.js';
import { post, publishTo } from './support/http.js';
import { type RunningService, repoRoot, startService } from './support/service.js';
import { endOffsets, readWithKcat, TopicCollector, type TopicRecord } from './support/topic.js';

const TOPIC = 'order-events';
let service: RunningService;
let collector: TopicCollector;

beforeAll(async () => {
  service = await startService({ http: 3310, lambda: 3312, broker: 19310 });
  collector = new TopicCollector(service.kafkaBrokers, TOPIC);
  await collector.start();
}, 180_000);

afterAll(async () => {
  await collector?.stop();
  await service?.stop();
}, 60_000);

const json = { 'content-type': 'application/json' };
const publish = (path: string, body: unknown, headers?: Record<string, string>) =>
  publishTo(service, path, body, headers);

const order = (orderId: string) => ({
  orderId,
  customerId: 'c-1',
  items: [{ sku: 'SKU-1', quantity: 3, unitPrice: 2.5 }],
  total: 7.5,
});
const byEventId = (eventId: unknown) => (record: TopicRecord) => record.headers.ce_id === eventId;

describe('each route publishes what its receipt says', () => {
  // One request per event type of the catalog, its documented example; the record carries the parsed fields
  // (defaults applied), after the envelope.
  const requests = eventTypes.map((eventType) => {
    const { route, example, orderIdFrom, schema } = eventCatalog[eventType];
    const body = orderIdFrom === 'body' ? { ...example, orderId: 'e2e-1' } : example;
    const { orderId: _, ...fields } = schema.parse(body) as Record<string, unknown>;
    return { eventType, path: route.path.replace('{orderId}', 'e2e-1'), body, fields };
  });

  it.each(requests)(
    '$eventType: 202 receipt, record read back by kafkajs and kcat',
    async ({ eventType, path, body, fields }) => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const correlationId = `e2e-${eventType}`;
      const reply = await publish(path, body, {
        ...json,
        traceparent,
        'x-correlation-id': correlationId,
      });
      expect(reply.status).toBe(202);
      expect(reply.headers.get('x-correlation-id')).toBe(correlationId);
      const receipt = reply.body as {
        eventId: string;
        eventType: string;
        topic: string;
        partition: number;
        offset: string;
      };
      expect(receipt).toEqual({
        eventId: expect.any(String),
        eventType,
        topic: TOPIC,
        partition: expect.any(Number),
        offset: expect.any(String),
      });

      const [viaKafkajs] = await collector.waitFor(1, byEventId(receipt.eventId));
      const viaKcat = (await readWithKcat(service.kafkaBrokers, TOPIC)).find(
        byEventId(receipt.eventId),
      );
      for (const record of [viaKafkajs!, viaKcat!]) {
        expect(record).toBeDefined();
        expect(record.partition).toBe(receipt.partition);
        expect(record.offset).toBe(receipt.offset);
        expect(record.key).toBe('e2e-1');
        expect(record.headers).toEqual({
          ce_specversion: '1.0',
          ce_id: receipt.eventId,
          ce_type: eventType,
          ce_source: '/order-events-publisher',
          ce_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          ce_subject: 'e2e-1',
          ce_dataschema: `urn:order-events-publisher:schema:${eventType}:v1`,
          'content-type': 'application/json',
          ce_correlationid: correlationId,
          traceparent,
          ce_traceparent: traceparent,
        });
        const value = JSON.parse(record.value);
        expect(record.timestamp).toBe(Date.parse(value.timestamp));
        expect(value).toEqual({
          eventId: receipt.eventId,
          eventType,
          orderId: 'e2e-1',
          timestamp: record.headers.ce_time,
          ...fields,
        });
      }
    },
  );
});

describe('the production producer', () => {
  it('publishes with the idempotent producer, as in production: its batches carry a producer id', async () => {
    const reply = await publish('/orders/idempotent-1/cancellation', { reason: 'idempotent' });
    expect(reply.status).toBe(202);
    const records = (await service.control.produced())
      .flatMap((request) => request.records)
      .filter((record) => record.ceId === reply.body.eventId);
    expect(records).toHaveLength(1);
    // InitProducerId assigned it; a producer without idempotence sends -1.
    expect(records[0]?.producerId).toBeGreaterThanOrEqual(0);
  });
});

describe('logs', () => {
  const logLines = () =>
    service.output().flatMap((line) => {
      try {
        return [JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>];
      } catch {
        return []; // serverless-offline's own lines
      }
    });

  it('writes one structured line per publish with the request id, the cold-start flag and where the event went, and no body', async () => {
    const reply = await publish('/orders', { ...order('log-1'), customerId: 'customer-secret-7' });
    expect(reply.status).toBe(202);
    // The line reaches us through serverless-offline's and npm start's output: wait for it a little.
    const published = await waitUntil(
      () =>
        logLines().filter(
          (line) => line.message === 'published' && line.eventId === reply.body.eventId,
        ),
      (lines) => lines.length > 0,
      { timeoutMs: 5_000 },
    );
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      level: 'INFO',
      service: 'order-events-publisher',
      cold_start: expect.any(Boolean),
      function_request_id: expect.any(String),
      eventType: 'order-created',
      orderId: 'log-1',
      topic: TOPIC,
      partition: reply.body.partition,
      offset: reply.body.offset,
      latencyMs: expect.any(Number),
    });
    expect(service.output().join('\n')).not.toContain('customer-secret-7');
  });

  it('writes a refusal line that names the correlation id the answer echoed and the caller, and no body', async () => {
    const reply = await publish(
      '/orders',
      { ...order('log-2'), total: 'customer-secret-8' },
      { ...json, 'X-Correlation-Id': 'e2e-refused-1' },
    );
    expect(reply.status).toBe(400);
    expect(reply.headers.get('x-correlation-id')).toBe('e2e-refused-1');
    const refused = await waitUntil(
      () =>
        logLines().filter(
          (line) => line.message === 'request refused' && line.correlationId === 'e2e-refused-1',
        ),
      (lines) => lines.length > 0,
      { timeoutMs: 5_000 },
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      route: 'order-created',
      status: 400,
      problemType: 'invalid-request',
      invalidPaths: ['body.total'],
      callerSubject: DEV_SUBJECT,
    });
    expect(service.output().join('\n')).not.toContain('customer-secret-8');
  });
});

describe('ordering', () => {
  it('keeps the events of one order on one partition, in the order they were accepted', async () => {
    const receipts: { eventId: string; partition: number; offset: string }[] = [];
    for (let i = 0; i < 8; i += 1) {
      const reply = await publish('/orders/ordered-7/cancellation', { reason: `attempt ${i}` });
      expect(reply.status).toBe(202);
      receipts.push(reply.body as (typeof receipts)[number]);
    }
    expect(new Set(receipts.map((receipt) => receipt.partition)).size).toBe(1);
    const records = await collector.waitFor(8, (record) => record.key === 'ordered-7');
    const onTopic = records
      .sort((a, b) => Number(a.offset) - Number(b.offset))
      .map((record) => JSON.parse(record.value).reason);
    expect(onTopic).toEqual(receipts.map((_, i) => `attempt ${i}`));
    expect(records.map((record) => record.headers.ce_id)).toEqual(
      receipts.map((receipt) => receipt.eventId),
    );
  });
});

describe('invalid requests publish nothing', () => {
  it('leaves every end offset where it was', async () => {
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    const replies = await Promise.all([
      publish('/orders', { ...order('bad-1'), total: -1 }),
      publish('/orders', '{"orderId": '),
      publish('/orders', order('bad-2'), { 'content-type': 'text/plain' }),
      publish('/orders', { ...order('bad-3'), notes: 'x'.repeat(300 * 1024) }),
      publish('/orders/bad%20id/shipment', { trackingNumber: 'T' }),
      publish('/orders/o-1/cancellation', { reason: '' }),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual([400, 400, 415, 413, 400, 400]);
    for (const reply of replies)
      expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(await endOffsets(service.kafkaBrokers, TOPIC)).toEqual(before);
  });
});

describe('authentication', () => {
  const token = (claims: { iss?: string; aud?: string; expiresAt?: string | number }) =>
    // With the publishing scope, so that only the claim under test is wrong.
    new SignJWT({ scope: 'order-events/publish' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(claims.iss ?? 'https://localhost/order-events-publisher/dev')
      .setAudience(claims.aud ?? 'order-events-publisher')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(claims.expiresAt ?? '1h')
      .sign(new TextEncoder().encode('a test key of thirty-two bytes!!'));

  it('refuses every route without a valid bearer token, and publishes nothing', async () => {
    const before = await endOffsets(service.kafkaBrokers, TOPIC);
    const expired = Math.floor(Date.now() / 1000) - 60;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-a-jwt' },
      { authorization: `Bearer ${await token({ iss: 'https://someone-else/' })}` },
      { authorization: `Bearer ${await token({ aud: 'another-api' })}` },
      { authorization: `Bearer ${await token({ expiresAt: expired })}` },
    ];
    for (const eventType of eventTypes) {
      const { route, example, orderIdFrom } = eventCatalog[eventType];
      const path = route.path.replace('{orderId}', 'auth-1');
      const body = orderIdFrom === 'body' ? { ...example, orderId: 'auth-1' } : example;
      for (const headers of attempts) {
        const reply = await post(`${service.http}${path}`, body, { ...json, ...headers });
        expect([path, headers.authorization ?? 'none', reply.status]).toEqual([
          path,
          headers.authorization ?? 'none',
          401,
        ]);
      }
    }
    expect(await endOffsets(service.kafkaBrokers, TOPIC)).toEqual(before);
  });

  it('accepts a token from the configured issuer for the configured audience', async () => {
    const reply = await post(
      `${service.http}/orders/auth-2/cancellation`,
      { reason: 'r' },
      { ...json, authorization: `Bearer ${await token({})}` },
    );
    expect(reply.status).toBe(202);
  });
});

describe('local invocation without HTTP', () => {
  it("publishes through serverless-offline's Lambda invoke endpoint", async () => {
    const reply = await post(
      `${service.lambda}/2015-03-31/functions/order-events-publisher-dev-orderShipped/invocations`,
      {
        orderId: 'invoke-1',
        trackingNumber: 'T-1',
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ eventType: 'order-shipped', topic: TOPIC });
    const [record] = await collector.waitFor(1, byEventId(reply.body.eventId));
    expect(record).toMatchObject({
      key: 'invoke-1',
      partition: reply.body.partition,
      offset: reply.body.offset,
    });
  });

  it('answers a structured validation error through the invoke endpoint', async () => {
    const reply = await post(
      `${service.lambda}/2015-03-31/functions/order-events-publisher-dev-orderCancelled/invocations`,
      { orderId: 'invoke-2' },
    );
    expect(reply.body).toMatchObject({
      status: 400,
      errors: [{ path: 'reason', message: expect.any(String) }],
    });
  });

  it('publishes through `serverless invoke local`', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'node_modules/serverless/bin/serverless.js',
        'invoke',
        'local',
        '-f',
        'orderCancelled',
        '--data',
        JSON.stringify({ orderId: 'local-1', reason: 'from the CLI' }),
      ],
      {
        cwd: repoRoot,
        timeout: 90_000,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          KAFKA_BROKERS: service.kafkaBrokers,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
        },
      },
    );
    // serverless prints the result last, indented over several lines, after the function's own log lines.
    const receipt = JSON.parse(stdout.slice(stdout.lastIndexOf('{\n'))) as {
      eventId: string;
      partition: number;
      offset: string;
    };
    expect(receipt).toMatchObject({ eventType: 'order-cancelled', topic: TOPIC });
    const [record] = await collector.waitFor(1, byEventId(receipt.eventId));
    expect(record).toMatchObject({
      key: 'local-1',
      partition: receipt.partition,
      offset: receipt.offset,
    });
  });
});
