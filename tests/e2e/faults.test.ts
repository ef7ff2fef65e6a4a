// Reliability under broker faults, over the real protocol: the embedded broker injects outages, latency and
// retriable errors while the service runs as `npm start` runs it. The rule checked throughout: every eventId
// answered 202 is on the topic, at the partition and offset its receipt names.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ALL_BROKERS, type BrokerControl } from './support/harness.js';
import { post, type Reply } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { readWithKcat, type TopicRecord } from './support/topic.js';

const TOPIC = 'order-events';
const NOT_LEADER_OR_FOLLOWER = 6;
const REQUEST_TIMED_OUT = 7;
const PRODUCE = 0;

let service: RunningService;
let control: BrokerControl;

beforeAll(async () => {
  // A tighter budget than production's, so that an outage answers 503 sooner and the test stays short.
  service = await startService(
    { http: 3340, lambda: 3342, broker: 19340 },
    {
      PUBLISH_TIMEOUT_MS: '3000',
      KAFKA_CONNECT_TIMEOUT_MS: '1000',
      KAFKA_REQUEST_TIMEOUT_MS: '2000',
    },
  );
  control = service.control;
}, 180_000);

afterEach(async () => {
  await control.clearAllFaults();
});

afterAll(async () => {
  await service?.stop();
}, 60_000);

const cancel = (orderId: string, reason = 'fault test'): Promise<Reply> =>
  post(
    `${service.http}/orders/${orderId}/cancellation`,
    { reason },
    { ...service.authHeaders, 'content-type': 'application/json' },
  );

/** Every 202 receipt must name a record that is on the topic with that eventId. */
const reconcile = (receipts: Reply['body'][], topic: TopicRecord[]) => {
  const at = new Map(
    topic.map((record) => [`${record.partition}:${record.offset}`, record.headers.ce_id]),
  );
  return receipts.filter(
    (receipt) => at.get(`${receipt.partition}:${receipt.offset}`) !== receipt.eventId,
  );
};

const expectRetryable503 = (reply: Reply) => {
  expect(reply.status).toBe(503);
  expect(reply.headers.get('retry-after')).toBe('1');
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
  expect(reply.body).toMatchObject({
    status: 503,
    type: expect.stringContaining('broker-unavailable'),
  });
};

describe('a full outage', () => {
  it('answers 503 with Retry-After within the budget, then the same warm container recovers without a restart', async () => {
    expect((await cancel('outage-1')).status).toBe(202); // the container is warm and connected

    await control.brokerDown(ALL_BROKERS);
    const during = [];
    for (let i = 0; i < 3; i += 1) during.push(await cancel('outage-1'));
    for (const reply of during) expectRetryable503(reply);

    await control.brokerUp(ALL_BROKERS);
    const after = await cancel('outage-1', 'after the outage');
    expect(after.status).toBe(202);
    expect(reconcile([after.body], await readWithKcat(service.kafkaBrokers, TOPIC))).toEqual([]);

    // Neither a crash nor an unhandled rejection on the way.
    expect(service.output().filter((line) => /unhandled|uncaught|exited/i.test(line))).toEqual([]);
  });
});

describe('transient faults', () => {
  it('retries retriable produce errors with backoff and answers 202', async () => {
    await control.pushRequestErrors(PRODUCE, [
      NOT_LEADER_OR_FOLLOWER,
      REQUEST_TIMED_OUT,
      NOT_LEADER_OR_FOLLOWER,
    ]);
    const reply = await cancel('transient-1');
    expect(reply.status).toBe(202);
    expect(reconcile([reply.body], await readWithKcat(service.kafkaBrokers, TOPIC))).toEqual([]);
  });

  it('rides out an RTT spike and answers 202', async () => {
    await control.setRtt(ALL_BROKERS, 400);
    const replies = [await cancel('slow-1'), await cancel('slow-2')];
    expect(replies.map((reply) => reply.status)).toEqual([202, 202]);
    expect(
      reconcile(
        replies.map((reply) => reply.body),
        await readWithKcat(service.kafkaBrokers, TOPIC),
      ),
    ).toEqual([]);
  });
});

describe('hundreds of requests under injected faults', () => {
  it('puts every 202 on the topic', async () => {
    const FAULTS = 18; // rounds of the schedule below, about 15 s in all
    const MAX_REQUESTS = 800;
    const CONCURRENCY = 4;
    const replies: Reply[] = [];
    const injected = { brokerDown: 0, rttSpike: 0, requestErrors: 0 };
    let sending = true;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    // Faults while the requests run: a broker down and back (its partitions stall: the mock has no failover),
    // latency spikes on one broker, bursts of retriable produce errors.
    const injector = (async () => {
      for (let round = 0; round < FAULTS; round += 1) {
        const broker = (round % 3) + 1;
        switch (round % 3) {
          case 0:
            await control.brokerDown(broker);
            await pause(round % 2 === 0 ? 900 : 3_500); // the longer outages outlast the 3 s budget: 503s
            await control.brokerUp(broker);
            injected.brokerDown += 1;
            break;
          case 1:
            await control.setRtt(broker, 300);
            await pause(600);
            await control.setRtt(broker, 0);
            injected.rttSpike += 1;
            break;
          default:
            await control.pushRequestErrors(PRODUCE, [
              NOT_LEADER_OR_FOLLOWER,
              REQUEST_TIMED_OUT,
              NOT_LEADER_OR_FOLLOWER,
            ]);
            injected.requestErrors += 1;
        }
        await pause(200);
      }
      sending = false;
    })();

    let sent = 0;
    const worker = async () => {
      while (sending && sent < MAX_REQUESTS) {
        const i = sent++;
        replies.push(await cancel(`many-${i % 40}`, `request ${i}`));
        await pause(20);
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      sending = false;
      await injector;
    }

    const accepted = replies.filter((reply) => reply.status === 202).map((reply) => reply.body);
    const statuses = new Map<number, number>();
    for (const reply of replies) statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    const missing = reconcile(accepted, await readWithKcat(service.kafkaBrokers, TOPIC));
    const faults = injected.brokerDown + injected.rttSpike + injected.requestErrors;
    process.stdout.write(
      `\nfault run: ${replies.length} requests sent, ${faults} faults injected ${JSON.stringify(injected)}, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `${accepted.length - missing.length} of ${accepted.length} 202s reconciled against the topic, 5xx other than 503: ${replies.filter((r) => r.status >= 500 && r.status !== 503).length}\n`,
    );

    expect(replies.length).toBeGreaterThanOrEqual(200);
    expect(faults).toBe(FAULTS);
    expect(missing).toEqual([]);
    expect([...statuses.keys()].every((status) => status === 202 || status === 503)).toBe(true);
    expect(accepted.length).toBeGreaterThan(0);
  });
});
