import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ServiceLogger } from '../../lib/observability.js';
import { KafkaJsEventProducer } from '../../lib/producer/kafkajs-producer.js';
import { REHEARSALS } from '../../lib/rehearsal.js';
import { logLineCapture } from '../support/log-lines.js';

// A container Lambda initialises for provisioned concurrency (its own module registry: this file imports the
// handlers with AWS_LAMBDA_INITIALIZATION_TYPE set). Port 1 on loopback refuses at once, so the container's
// producer cannot acknowledge anything: a rehearsal sent through it would not be accepted. A rehearsal sends
// through a producer of the same class on a client whose connections go to a broker inside the process
// (producer/kafkajs-rehearsal.ts).
/** What the container's Powertools Logger writes (INFO to stdout, WARN to stderr). */
const logs = logLineCapture();
const logLines = logs.lines;
const logLine = logs.line;
let spies: { mockRestore(): void }[] = [];
/** Each send of the producer class: the rehearsal's (the container's own producer gets no request here). */
let sends: jest.Spied<KafkaJsEventProducer['send']>;
/** Each disconnect of the producer class: the rehearsal's, once it is over. */
let disconnects: jest.Spied<KafkaJsEventProducer['disconnect']>;
/** Each Lambda context Powertools' middleware gives a Logger of the service's class. */
let lambdaContexts: jest.Spied<ServiceLogger['addContext']>;

beforeAll(() => {
  process.env.KAFKA_BROKERS = '127.0.0.1:1';
  // A send through that producer fails within 100 ms, so a rehearsal that went through it fails the test soon.
  process.env.KAFKA_RETRIES = '0';
  // kafkajs makes an idempotent producer only with retries.
  process.env.KAFKA_IDEMPOTENT = 'false';
  process.env.PUBLISH_TIMEOUT_MS = '100';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'provisioned-concurrency';
  spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(logs.write),
    jest.spyOn(process.stderr, 'write').mockImplementation(logs.write),
  ];
  sends = jest.spyOn(KafkaJsEventProducer.prototype, 'send');
  disconnects = jest.spyOn(KafkaJsEventProducer.prototype, 'disconnect');
  lambdaContexts = jest.spyOn(ServiceLogger.prototype, 'addContext');
  spies.push(sends, disconnects, lambdaContexts);
});

const REHEARSED = 'rehearsed the route before its first request';
const CONNECT_FAILED = 'connecting during initialisation failed; the first send connects';

afterAll(async () => {
  // The container's connect to port 1 gives up after its retries; waiting for it leaves no timer behind.
  await logLine(CONNECT_FAILED).finally(() => {
    for (const spy of spies) spy.mockRestore();
    for (const name of [
      'AWS_LAMBDA_INITIALIZATION_TYPE',
      'KAFKA_RETRIES',
      'KAFKA_IDEMPOTENT',
      'PUBLISH_TIMEOUT_MS',
    ])
      delete process.env[name];
  });
});

describe('a container initialised for provisioned concurrency', () => {
  it.each([
    ['order-created', ['order-created']],
    ['order-shipped', ['order-shipped']],
    ['order-events-batch', ['order-created', 'order-shipped', 'order-cancelled']],
  ])(
    '%s rehearses its route while it loads, every rehearsal accepted, its records through the producer class and none sent',
    async (handlerFile, eventTypes) => {
      const from = logLines.length;
      sends.mockClear();
      disconnects.mockClear();
      lambdaContexts.mockClear();
      await import(`../../handlers/${handlerFile}.js`);
      // Over before the next turn of the event loop: the turn on which Lambda's runtime asks for the first
      // invocation, after which Lambda may freeze the container until that invocation comes.
      await new Promise((resolve) => setImmediate(resolve));
      expect(logLines.slice(from).map(({ message }) => message)).toContain(REHEARSED);
      expect(await logLine(REHEARSED, from)).toMatchObject({
        level: 'INFO',
        rehearsals: REHEARSALS,
      });
      // Each rehearsal's records went through the producer class's send, and were acknowledged (the
      // rehearsals were accepted), though no broker could have: nothing was sent.
      expect(sends).toHaveBeenCalledTimes(REHEARSALS);
      const [records] = sends.mock.calls[0] ?? [[]];
      expect(records.map((record) => record.headers.ce_type)).toEqual(eventTypes);
      // Every other one came without a traceparent header, as a request from a caller that traces nothing.
      expect(
        sends.mock.calls.slice(0, 4).map(([sent]) => sent[0]?.headers.traceparent !== undefined),
      ).toEqual([true, false, true, false]);
      // Each ran Powertools' Lambda context middleware, as the container's requests do, on a Logger of the
      // container's class (the rehearsal's own, which writes nothing).
      expect(lambdaContexts).toHaveBeenCalledTimes(REHEARSALS);
      expect(lambdaContexts.mock.calls[0]?.[0]).toMatchObject({ functionName: 'rehearsal' });
      // Its producer's connections to the memory broker end with it.
      expect(disconnects).toHaveBeenCalledTimes(1);
      // Nothing of the rehearsal reached the logs or the metrics but that one line.
      const since = logLines.slice(from);
      expect(since.filter((line) => '_aws' in line)).toEqual([]);
      expect(
        since.filter((line) => line.message !== REHEARSED && line.message !== CONNECT_FAILED),
      ).toEqual([]);
    },
  );

  it('says so when its rehearsal is not accepted: the first request runs part of the code cold', async () => {
    const from = logLines.length;
    const { defineRoutePublisher } = await import('../../lib/define-publisher.js');
    const { batchRoute } = await import('../../lib/batch.js');
    const { batchRehearsalRequest } = await import('../../lib/rehearsal.js');
    // A batch without its events: the route answers 400.
    defineRoutePublisher(batchRoute, () => ({
      ...batchRehearsalRequest('order-events-batch'),
      body: {},
    }));
    expect(
      await logLine(
        'a rehearsal of the route was not accepted; the first request runs part of it cold',
        from,
      ),
    ).toMatchObject({ level: 'WARN', rehearsals: 0 });
    expect(logLines.slice(from).map(({ message }) => message)).not.toContain(REHEARSED);
  });

  it('starts all the same when its rehearsal cannot even be built, and says so', async () => {
    const from = logLines.length;
    const { defineRoutePublisher } = await import('../../lib/define-publisher.js');
    const { batchRoute } = await import('../../lib/batch.js');
    const handler = defineRoutePublisher(batchRoute, () => {
      throw new Error('the catalog has no such route');
    });
    expect(typeof handler).toBe('function');
    expect(
      await logLine('rehearsing the route failed; the first request runs it cold', from),
    ).toMatchObject({ level: 'WARN', errorClass: 'Error' });
  });
});
