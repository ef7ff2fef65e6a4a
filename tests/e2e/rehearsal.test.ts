// A container initialised ahead of its traffic rehearses its route while it loads (lib/rehearsal.ts), through a
// producer whose connections go to a broker inside the process, while its own producer connects to the cluster.
// Over the real protocol, read back with kcat: the rehearsal's sends put nothing on the topic, and the first
// request puts its one record there.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { REHEARSALS } from '../../lib/rehearsal.js';
import { jsonEvent, lambdaContext, validOrder } from '../support/events.js';
import { logLineCapture } from '../support/log-lines.js';
import { embeddedBrokerForTests } from './support/harness.js';
import { endOffsets, readWithKcat } from './support/topic.js';

const broker = embeddedBrokerForTests(19490);
const TOPIC = 'order-events';
const REHEARSED = 'rehearsed the route before its first request';

/** What the container's Powertools Logger writes to stdout. */
const logs = logLineCapture();
let spies: { mockRestore(): void }[] = [];
const ENV = ['AWS_LAMBDA_INITIALIZATION_TYPE', 'KAFKA_BROKERS', 'ORDER_EVENTS_TOPIC'];

beforeAll(() => {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'provisioned-concurrency';
  process.env.KAFKA_BROKERS = broker().bootstrap;
  process.env.ORDER_EVENTS_TOPIC = TOPIC;
  spies = [jest.spyOn(process.stdout, 'write').mockImplementation(logs.write)];
});

afterAll(async () => {
  // The container's producer, connected to the embedded broker while the handler loaded.
  const { containerDependencies } = await import('../../lib/runtime.js');
  await containerDependencies.producer.disconnect();
  for (const spy of spies) spy.mockRestore();
  for (const name of ENV) delete process.env[name];
});

const total = (offsets: Record<number, string>) =>
  Object.values(offsets).reduce((sum, offset) => sum + Number(offset), 0);

describe('a rehearsal, over the real protocol', () => {
  it('puts nothing on the topic; the first request then puts its one record', async () => {
    const before = await endOffsets(broker().bootstrap, TOPIC);
    const { handler } = await import('../../handlers/order-created.js');
    expect(await logs.line(REHEARSED, 0, 20_000)).toMatchObject({ rehearsals: REHEARSALS });
    expect(await endOffsets(broker().bootstrap, TOPIC)).toEqual(before);

    const order = { ...validOrder, orderId: 'o-after-rehearsal' };
    const answer = (await handler(jsonEvent(order), lambdaContext())) as {
      statusCode: number;
      body: string;
    };
    expect(answer.statusCode).toBe(202);
    const receipt = JSON.parse(answer.body) as { partition: number; offset: string };
    const after = await endOffsets(broker().bootstrap, TOPIC);
    expect(total(after)).toBe(total(before) + 1);
    expect(after[receipt.partition]).toBe(String(Number(receipt.offset) + 1));
    const records = await readWithKcat(broker().bootstrap, TOPIC);
    expect(records.map(({ key }) => key)).toEqual(['o-after-rehearsal']);
  });
});
