// Keyed requests while the idempotency store misbehaves, over HTTP, on both stores (a redis-server and dynalite
// with serverless.yml's table, each started and controlled by the test): paused (hung), down at first use,
// killed or refusing writes in the middle of a request. What the caller is told must be true: a store that
// cannot be reached before the publish is a 503 idempotency-store-unavailable and nothing reaches the topic
// for that request, even once the store is back; a store failure after the publish is never answered
// "nothing was published"; and however the client retries, one key gives one eventId.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ALL_BROKERS } from './support/harness.js';
import { post, type Reply } from './support/http.js';
import { type RunningService, type ServicePorts, startService } from './support/service.js';
import {
  redisCli,
  type StoreProcess,
  startDynalite,
  startRedis,
} from './support/store-processes.js';
import { readWithKcat, type TopicRecord } from './support/topic.js';

const TOPIC = 'order-events';
const STORE_TIMEOUT_MS = 1_000;
/** Past the in-progress time of a request of this file's service (PUBLISH_TIMEOUT_MS 3000, its margin 500). */
const IN_PROGRESS_LAPSED_MS = 5_000;

interface StoreUnderTest {
  name: 'redis' | 'dynamodb';
  ports: ServicePorts;
  storePort: number;
  start(port: number): Promise<StoreProcess>;
  /**
   * Makes the store refuse the write that completes a record, while the request is publishing (a slow broker
   * gives the time) or, where the store refuses it by itself, before it is sent.
   */
  refuseWrites(store: StoreProcess, port: number): Promise<() => Promise<void>>;
  refusesDuringPublish: boolean;
  /** A request whose completed record the store refuses while refuseWrites is in force. */
  refusedRequest(reason: string): { path: string; body: unknown };
}

const cancellation = (reason: string) => ({
  path: '/orders/fault-1/cancellation',
  body: { reason },
});

const STORES: StoreUnderTest[] = [
  {
    name: 'redis',
    ports: { http: 3460, lambda: 3461, broker: 19460, redis: 19465 },
    storePort: 19461,
    start: startRedis,
    refuseWrites: async (_store, port) => {
      await redisCli(port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await redisCli(port, 'CONFIG', 'SET', 'maxmemory', '1');
      return async () => void (await redisCli(port, 'CONFIG', 'SET', 'maxmemory', '0'));
    },
    refusedRequest: cancellation,
    refusesDuringPublish: true,
  },
  {
    name: 'dynamodb',
    ports: { http: 3462, lambda: 3463, broker: 19462, redis: 19466 },
    storePort: 19463,
    // Items of at most 1 KB: an in-progress record fits, the receipts of a batch of twenty do not.
    start: (port) => startDynalite(port, ['--maxItemSizeKb', '1']),
    refuseWrites: async () => async () => undefined,
    refusesDuringPublish: false,
    refusedRequest: (reason) => ({
      path: '/order-events/batch',
      body: {
        events: Array.from({ length: 20 }, (_, i) => ({
          eventType: 'order-cancelled',
          orderId: `fault-batch-${i}`,
          reason,
        })),
      },
    }),
  },
];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const unique = (name: string) => `${name}-${Date.now()}-${counter++}`;

describe.each(STORES)('keyed requests with the $name store failing', (storeUnderTest) => {
  let service: RunningService;
  let store: StoreProcess;

  const send = (path: string, body: unknown, key: string): Promise<Reply> =>
    post(`${service.http}${path}`, body, {
      ...service.authHeaders,
      'content-type': 'application/json',
      'idempotency-key': key,
    });

  const brokerRtt = (ms: number) => service.control.setRtt(ALL_BROKERS, ms);

  const recordsWithReason = async (reason: string): Promise<TopicRecord[]> =>
    (await readWithKcat(service.kafkaBrokers, TOPIC)).filter(
      (record) => JSON.parse(record.value).reason === reason,
    );

  /** Retries as a client should: after a 409 or 503, once Retry-After has passed; until 202. */
  const retryUntilAccepted = async (path: string, body: unknown, key: string) => {
    for (let attempt = 0; attempt < 30; attempt++) {
      const reply = await send(path, body, key);
      if (reply.status === 202) return reply;
      expect([409, 503]).toContain(reply.status);
      await delay(Number(reply.headers.get('retry-after') ?? 1) * 1_000);
    }
    throw new Error('no 202 after 30 attempts');
  };

  const expectStoreUnavailable = (reply: Reply) => {
    expect(reply.status).toBe(503);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.type).toEqual(expect.stringMatching(/idempotency-store-unavailable$/));
    expect(reply.headers.get('retry-after')).toBe('1');
  };

  /** A failure after the publish: the record is on the topic, and the answer does not deny it. */
  const expectTruthfulAfterPublish = (reply: Reply, written: TopicRecord[]) => {
    expect(written.length).toBeGreaterThan(0);
    if (reply.status === 202) {
      const receipts = (reply.body.results ?? [reply.body]) as { eventId: string }[];
      expect(receipts.map((receipt) => receipt.eventId).sort()).toEqual(
        written.map((record) => record.headers.ce_id).sort(),
      );
    } else {
      expect(String(reply.body.detail)).not.toMatch(/nothing was published/i);
      expect(String(reply.body.detail)).toMatch(/may have been (written|published)/i);
    }
  };

  const distinctEventIds = (records: TopicRecord[]) =>
    new Set(records.map((record) => record.headers.ce_id)).size;

  beforeAll(async () => {
    store = await storeUnderTest.start(storeUnderTest.storePort);
    service = await startService(storeUnderTest.ports, {
      ...store.env,
      PUBLISH_TIMEOUT_MS: '3000',
      KAFKA_RETRIES: '2',
      IDEMPOTENCY_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
    });
  }, 180_000);

  afterEach(async () => {
    await store.ensureRunning(); // whatever a failed test left it in
    await brokerRtt(0);
  });

  afterAll(async () => {
    await service?.stop();
    await store?.stop();
  }, 60_000);

  it('answers 503 idempotency-store-unavailable when the store is down at first use, publishing nothing', async () => {
    const reason = unique('down at first use');
    await store.kill();
    try {
      expectStoreUnavailable(await send(cancellation(reason).path, { reason }, unique('k')));
    } finally {
      await store.restart();
    }
    expect(await recordsWithReason(reason)).toHaveLength(0);
  });

  it('answers 503 idempotency-store-unavailable while the store hangs, and nothing reaches the topic for it after the answer, even once the store resumes', async () => {
    const reason = unique('store paused');
    const key = unique('paused');
    const { path } = cancellation(reason);
    await retryUntilAccepted(path, { reason: unique('warm-up') }, unique('warm')); // connected
    store.pause();
    let reply: Reply;
    try {
      reply = await send(path, { reason }, key);
    } finally {
      store.resume();
    }
    expectStoreUnavailable(reply);
    await delay(3 * STORE_TIMEOUT_MS); // time for anything left behind to act, had it been left
    expect(await recordsWithReason(reason)).toHaveLength(0);
    // The client's retries publish it once.
    const accepted = await retryUntilAccepted(path, { reason }, key);
    const written = await recordsWithReason(reason);
    expect(written.map((record) => record.headers.ce_id)).toEqual([accepted.body.eventId]);
  });

  /** Sends a keyed request and kills the store while it publishes; answers the reply. */
  const killStoreDuringPublish = async (path: string, body: unknown, key: string) => {
    await retryUntilAccepted(path, { reason: unique('warm-up') }, unique('warm')); // connected
    await brokerRtt(1_500);
    const pending = send(path, body, key);
    await delay(600); // the in-progress record is written; the publish waits on the broker
    await store.kill();
    const reply = await pending;
    await brokerRtt(0);
    await store.restart();
    return reply;
  };

  it('never answers "nothing was published" when the store is killed after the publish', async () => {
    const reason = unique('killed mid-request');
    const { path } = cancellation(reason);
    const reply = await killStoreDuringPublish(path, { reason }, unique('killed'));
    expectTruthfulAfterPublish(reply, await recordsWithReason(reason));
  });

  it('writes one eventId for a key however the client retries after the store failed after the publish', async () => {
    const reason = unique('retried after kill');
    const key = unique('retried');
    const { path } = cancellation(reason);
    await killStoreDuringPublish(path, { reason }, key);
    const accepted = await retryUntilAccepted(path, { reason }, key);
    const written = await recordsWithReason(reason);
    expect(distinctEventIds(written)).toBe(1);
    expect(written[0]?.headers.ce_id).toBe(accepted.body.eventId);
  });

  it('never answers "nothing was published" when the store hangs after the publish', async () => {
    const reason = unique('paused mid-request');
    const { path } = cancellation(reason);
    await retryUntilAccepted(path, { reason: unique('warm-up') }, unique('warm'));
    await brokerRtt(1_500);
    const pending = send(path, { reason }, unique('paused-mid'));
    await delay(600);
    store.pause();
    let reply: Reply;
    try {
      reply = await pending;
    } finally {
      store.resume();
    }
    await brokerRtt(0);
    expectTruthfulAfterPublish(reply, await recordsWithReason(reason));
  });

  /**
   * Sends the store's refused request under `key` while the store refuses the write that would complete its
   * record: the publish goes through, its record stays in progress. Checks that the answer does not deny it.
   */
  const publishWhileTheStoreRefusesToComplete = async (reason: string, key: string) => {
    const { path, body } = storeUnderTest.refusedRequest(reason);
    await retryUntilAccepted(
      cancellation(reason).path,
      { reason: unique('warm-up') },
      unique('warm'),
    );
    if (storeUnderTest.refusesDuringPublish) await brokerRtt(1_500);
    const pending = send(path, body, key);
    if (storeUnderTest.refusesDuringPublish) await delay(600);
    const allowWrites = await storeUnderTest.refuseWrites(store, storeUnderTest.storePort);
    let reply: Reply;
    try {
      reply = await pending;
    } finally {
      await allowWrites();
    }
    await brokerRtt(0);
    expectTruthfulAfterPublish(reply, await recordsWithReason(reason));
    return { path, body };
  };

  it('never answers "nothing was published" when the store refuses to complete the record after the publish', async () => {
    await publishWhileTheStoreRefusesToComplete(unique('refused write'), unique('refused'));
  });

  it('refuses (422) another request under a key the store could not complete, also once its in-progress time has passed', async () => {
    const reason = unique('left in progress');
    const key = unique('left');
    const { path, body } = await publishWhileTheStoreRefusesToComplete(reason, key);
    // The record stays in progress; its in-progress time is the request's budget (PUBLISH_TIMEOUT_MS and a
    // fraction of its margin), long over by now.
    await delay(IN_PROGRESS_LAPSED_MS);
    const other = unique('another request');
    const refused = await send(path, storeUnderTest.refusedRequest(other).body, key);
    expect(refused.status).toBe(422);
    expect(await recordsWithReason(other)).toEqual([]);
    // The same request may still take the key over, and publishes under the same event ids.
    await retryUntilAccepted(path, body, key);
    const written = await recordsWithReason(reason);
    expect(new Set(written.map((record) => record.headers.ce_id)).size).toBe(
      (body as { events?: unknown[] }).events?.length ?? 1,
    );
  });
});
