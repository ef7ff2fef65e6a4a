// Reliability under broker faults, over the real protocol: the embedded broker injects outages, latency and
// retriable errors while the service runs as `npm start` runs it. The rule checked throughout: every eventId
// answered 202 is on the topic, at the partition and offset its receipt names.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventType } from '../../lib/catalog.js';
import { keyedEventId } from '../support/keyed-event-id.js';
import { ALL_BROKERS, type BrokerControl, type ProduceLogEntry } from './support/harness.js';
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
  if (frozen) process.kill(service.functionHostPid, 'SIGCONT');
  frozen = false;
});

/** Whether a test has the function host stopped, so that a failing test still lets it go on. */
let frozen = false;

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

/** One HTTP attempt, timed by this process's clock (the produce log's clock too: same machine). */
interface Attempt {
  key: string;
  route: string;
  /** The eventId its event has (keyed: derived from the request), whatever its answer. */
  eventId: string;
  reply: Reply;
  startedAt: number;
  answeredAt: number;
}

const CALLER = 'local-developer'; // the subject of the development token the harness uses
const idOf = (key: string, route: string, path: string, body: unknown) => {
  const pathOrderId = /^\/orders\/([^/]+)\//.exec(path)?.[1];
  return keyedEventId({
    caller: CALLER,
    eventType: route as EventType,
    key,
    body,
    ...(pathOrderId ? { pathOrderId } : {}),
  });
};

const attempt = async (
  path: string,
  body: unknown,
  key: string,
  route = 'order-cancelled',
): Promise<Attempt> => {
  const startedAt = Date.now();
  const reply = await post(`${service.http}${path}`, body, {
    ...service.authHeaders,
    'content-type': 'application/json',
    'idempotency-key': key,
  });
  return {
    key,
    route,
    eventId: idOf(key, route, path, body),
    reply,
    startedAt,
    answeredAt: Date.now(),
  };
};

/** Produce requests forwarded to a broker that carried this event id after `after` (and before `before`). */
const producedBetween = (
  log: ProduceLogEntry[],
  eventId: string,
  after: number,
  before = Infinity,
) =>
  log.filter(
    (entry) =>
      entry.outcome === 'forwarded' &&
      entry.receivedAtMs > after &&
      entry.receivedAtMs < before &&
      entry.records.some((record) => record.ceId === eventId),
  ).length;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a function whose first connect falls into a hung cluster', () => {
  it('answers 503 within its budget, sends nothing after, and its next requests succeed at once', async () => {
    await control.clearProduced();
    // The shipment function has not run yet in this file: its first invocation connects into the hang.
    await control.hang(ALL_BROKERS);
    const caught = await attempt(
      '/orders/hung-1/shipment',
      { trackingNumber: 'H1' },
      'hung-first',
      'order-shipped',
    );
    expectRetryable503(caught.reply);
    await pause(1_500); // a hang that outlasts the answer, as in the field
    await control.clearProxyFaults();

    const after: Attempt[] = [];
    for (let i = 0; i < 10; i += 1)
      after.push(
        await attempt(
          '/orders/hung-1/shipment',
          { trackingNumber: `A${i}` },
          `hung-after-${i}`,
          'order-shipped',
        ),
      );
    await pause(2_500); // room for any leftover of the refused send to show up at the proxy
    const log = await control.produced();
    const durations = after.map(({ startedAt, answeredAt }) => answeredAt - startedAt);
    process.stdout.write(
      `\nfirst connect caught in a hang: 503 after ${caught.answeredAt - caught.startedAt} ms; the 10 requests after: p99 ${percentile(durations, 99)} ms; ` +
        `produce requests of the refused event after its answer: ${producedBetween(log, caught.eventId, caught.answeredAt)}\n`,
    );
    expect(after.map(({ reply }) => [reply.status, reply.body])).toEqual(
      Array(10).fill([202, expect.anything()]),
    );
    expect(producedBetween(log, caught.eventId, caught.answeredAt)).toBe(0);
    // None of them waited out a budget behind what the hang left: that one would have answered 503, not 202.
  });
});

describe('a function host frozen while every broker drops its connections', () => {
  it('answers the first request after it thaws with 202', async () => {
    expect((await cancel('frozen-1')).status).toBe(202); // warm and connected
    process.kill(service.functionHostPid, 'SIGSTOP');
    frozen = true;
    await control.brokerDown(ALL_BROKERS); // closes every connection, as brokers and NATs do to idle clients
    await control.brokerUp(ALL_BROKERS);
    process.kill(service.functionHostPid, 'SIGCONT');
    frozen = false;
    const first = await cancel('frozen-1', 'first after the thaw');
    expect(first.status).toBe(202);
    expect(reconcile([first.body], await readWithKcat(service.kafkaBrokers, TOPIC))).toEqual([]);
  });
});

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
  it('puts every 202 on the topic, sends nothing after an answer, writes one eventId per key, and recovers at once', async () => {
    const ROUNDS = 12; // two of each kind below, about 70 s in all
    // Fault-free time after each fault, longer than a request's whole budget (3 s): a request that starts soon
    // after a fault ends and waits behind what the fault left is still measured before the next fault begins.
    const RECOVERY_WINDOW_MS = 3_500;
    const MAX_REQUESTS = 8_000;
    // One worker per function, each sending one request at a time: as on Lambda, where a container serves one
    // invocation at a time (serverless-offline runs a function's invocations in one process, sharing its
    // producer, which Lambda never does).
    const routes = [
      {
        name: 'order-cancelled',
        path: (orderId: string) => `/orders/${orderId}/cancellation`,
        body: (_orderId: string) => ({ reason: 'fault run' }),
      },
      {
        name: 'order-shipped',
        path: (orderId: string) => `/orders/${orderId}/shipment`,
        body: (_orderId: string) => ({ trackingNumber: 'FAULT-RUN' }),
      },
      {
        name: 'order-created',
        path: (_orderId: string) => '/orders',
        body: (orderId: string) => ({
          orderId,
          customerId: 'c-1',
          items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 1 }],
          total: 1,
        }),
      },
    ];
    const run = Date.now().toString(36);
    const attempts: Attempt[] = [];
    const injected: Record<string, number> = {};
    const faultEnds: { kind: string; endedAt: number }[] = [];
    let sending = true;
    await control.clearProduced();

    // Faults while the requests run. The long ones outlast the 3 s budget, so they end in 503s: the whole
    // cluster hung (accepts bytes, never answers), one broker hung, one broker down (its partitions stall: the
    // mock has no failover). The short ones end in 202s after retries: connections reset in the middle of a
    // produce request, latency spikes, retriable produce errors.
    const faults: Record<string, (broker: number) => Promise<void>> = {
      clusterHung: async () => {
        await control.hang(ALL_BROKERS);
        await pause(4_000);
      },
      brokerDown: async (broker) => {
        await control.brokerDown(broker);
        await pause(3_500);
      },
      resetMidRequest: async () => {
        await control.reset(ALL_BROKERS, { count: 3, apiKey: PRODUCE });
        await pause(600);
      },
      rttSpike: async (broker) => {
        await control.setRtt(broker, 300);
        await pause(600);
      },
      brokerHung: async (broker) => {
        await control.hang(broker);
        await pause(3_500);
      },
      requestErrors: async () => {
        await control.pushRequestErrors(PRODUCE, [
          NOT_LEADER_OR_FOLLOWER,
          REQUEST_TIMED_OUT,
          NOT_LEADER_OR_FOLLOWER,
        ]);
        await pause(300);
      },
    };
    const kinds = Object.keys(faults);
    const injector = (async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const kind = kinds[round % kinds.length] as string;
        await faults[kind]?.((round % 3) + 1);
        await control.clearAllFaults();
        faultEnds.push({ kind, endedAt: Date.now() });
        injected[kind] = (injected[kind] ?? 0) + 1;
        await pause(RECOVERY_WINDOW_MS);
      }
      sending = false;
    })();

    let sent = 0;
    /** Each logical request has its own order id, which names it on the topic, and its own key. */
    const routeOf = new Map<string, (typeof routes)[number]>();
    const worker = async (route: (typeof routes)[number]) => {
      while (sending && sent < MAX_REQUESTS) {
        const orderId = `${run}-${sent++}`;
        routeOf.set(orderId, route);
        attempts.push(await attempt(route.path(orderId), route.body(orderId), orderId, route.name));
        await pause(10);
      }
    };
    try {
      await Promise.all(routes.map(worker));
    } finally {
      sending = false;
      await injector;
    }

    // Whatever a refused send left behind would reach the brokers within kafkajs's retry backoff (at most
    // 2 s a retry): wait that out before the client retries, so that leftovers stand apart from retries.
    await pause(5_000);
    const retriedAt = new Map<string, number>();
    const retries: Attempt[] = [];
    for (const refused of attempts.filter(({ reply }) => reply.status !== 202)) {
      const route = routeOf.get(refused.key);
      if (!route) throw new Error(`no route for ${refused.key}`);
      retriedAt.set(refused.key, Date.now());
      // Twice: the retry publishes, the second gets the stored answer; neither adds an eventId.
      for (let i = 0; i < 2; i += 1)
        retries.push(
          await attempt(route.path(refused.key), route.body(refused.key), refused.key, route.name),
        );
    }

    const topic = await readWithKcat(service.kafkaBrokers, TOPIC);
    const log = await control.produced();
    const all = [...attempts, ...retries];
    const accepted = all.filter(({ reply }) => reply.status === 202).map(({ reply }) => reply.body);
    const missing = reconcile(accepted, topic);
    const statuses: Record<number, number> = {};
    for (const { reply } of attempts) statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;

    // Produce requests that reached a broker after the invocation that sent them had answered.
    const afterAnswer = attempts.reduce(
      (count, { key, eventId, answeredAt }) =>
        count + producedBetween(log, eventId, answeredAt, retriedAt.get(key) ?? Infinity),
      0,
    );
    const ours = topic.filter((record) => record.key?.startsWith(`${run}-`));
    const copies = new Map<string, number>();
    const idsPerKey = new Map<string, Set<string>>();
    for (const record of ours) {
      const eventId = record.headers.ce_id ?? '';
      copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
      const key = record.key ?? '';
      idsPerKey.set(key, (idsPerKey.get(key) ?? new Set()).add(eventId));
    }
    const mostCopies = Math.max(0, ...copies.values());
    const mostIdsPerKey = Math.max(0, ...[...idsPerKey.values()].map((ids) => ids.size));
    // What follows each fault, until the next one begins: the recovery window.
    const firstAfter = faultEnds.map(({ kind, endedAt }) => {
      const next = attempts
        .filter(({ startedAt }) => startedAt >= endedAt && startedAt < endedAt + RECOVERY_WINDOW_MS)
        .sort((a, b) => a.startedAt - b.startedAt);
      const first202 = attempts
        .filter(({ startedAt, reply }) => startedAt >= endedAt && reply.status === 202)
        .sort((a, b) => a.answeredAt - b.answeredAt)[0];
      return {
        kind,
        toFirst202Ms: first202 ? first202.answeredAt - endedAt : Number.NaN,
        firstTenMs: next.slice(0, 10).map(({ startedAt, answeredAt }) => answeredAt - startedAt),
      };
    });
    const afterRecoveries = firstAfter.flatMap(({ firstTenMs }) => firstTenMs);
    const recoveryP99 = percentile(afterRecoveries, 99);
    process.stdout.write(
      `\nfault run: ${attempts.length} requests (three functions, one at a time each, every request with its own Idempotency-Key), faults by kind ${JSON.stringify(injected)}, statuses ${JSON.stringify(statuses)}; ` +
        `then ${retries.length} client retries of the refused keys (two each)\n` +
        `           ${accepted.length - missing.length} of ${accepted.length} 202s reconciled on the topic; produce requests after their invocation had answered: ${afterAnswer}; ` +
        `most copies of one eventId on the topic: ${mostCopies}; most distinct eventIds per Idempotency-Key: ${mostIdsPerKey}\n` +
        `           first 202 after each fault ended (ms): ${firstAfter.map(({ kind, toFirst202Ms }) => `${kind} ${toFirst202Ms}`).join(', ')}; ` +
        `first 10 requests started after every recovery (${afterRecoveries.length} in all): p99 ${recoveryP99} ms\n`,
    );

    expect(attempts.length).toBeGreaterThanOrEqual(200);
    expect(Object.values(injected).reduce((sum, n) => sum + n, 0)).toBe(ROUNDS);
    expect(missing).toEqual([]);
    expect(Object.keys(statuses).every((status) => status === '202' || status === '503')).toBe(
      true,
    );
    expect(statuses[503]).toBeGreaterThan(0);
    expect(afterAnswer).toBe(0);
    expect(mostIdsPerKey).toBe(1);
    for (const { eventId, reply } of retries) {
      expect(reply.status).toBe(202);
      expect(reply.body.eventId).toBe(eventId);
    }
    // Each fault is followed by a 202 (how soon is printed above, not asserted: speed belongs to the bench).
    expect(firstAfter.every(({ toFirst202Ms }) => Number.isFinite(toFirst202Ms))).toBe(true);
  });
});
