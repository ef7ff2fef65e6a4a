// The esbuild plugins that leave kafkajs's unused parts out of the bundles (deploy/esbuild-kafkajs-*.cjs):
// what each function keeps works, and what it leaves out throws, naming itself, when reached.
import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { bundleHandler, runBundled } from './support/bundle.js';

const require = createRequire(import.meta.url);

/** Bundles a script with the plugins, runs it with node and returns what it printed as JSON. */
const run = async (script: string): Promise<Record<string, unknown>> =>
  JSON.parse(await runBundled(script)) as Record<string, unknown>;

/** The message a call throws (or its promise rejects with), or 'ok'. */
const outcome = `const outcome = async (call) => { try { await call(); return 'ok'; } catch (error) { return error.message; } };`;

describe('kafkajs in a publishing function', () => {
  it('keeps the producer and its requests, and leaves out the admin client, old protocol versions and the ACL and config types', async () => {
    const results = await run(`${outcome}
const { Kafka } = require('kafkajs');
const { requests, lookup } = require('kafkajs/src/protocol/requests');
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys');
const Broker = require('kafkajs/src/broker');
const kafka = new Kafka({ brokers: ['localhost:1'], logLevel: 0 });
const produceAt = (maxVersion) => () =>
  lookup({ [apiKeys.Produce]: { minVersion: 0, maxVersion } })(apiKeys.Produce, requests.Produce)({
    acks: -1, timeout: 1000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }],
  }).request.encode();
// A client that would print everything: kafkajs's warning about its new default partitioner is left out.
const logged = [];
new Kafka({ brokers: ['localhost:1'], logLevel: 5, logCreator: () => ({ log }) => logged.push(log.message) }).producer();
(async () => {
  const producer = typeof kafka.producer({ idempotent: true }).send;
  console.log(JSON.stringify({
    producer,
    // Bracket access: the plugins see only calls written with a dot, and this function makes no admin client.
    admin: await outcome(() => kafka['admin']()),
    consumer: await outcome(() => kafka['consumer']({ groupId: 'g' })),
    transaction: await outcome(() => kafka.producer({ transactionalId: 't' }).transaction()),
    produceV7: await outcome(produceAt(7)),
    produceV5: await outcome(produceAt(5)),
    produceV4: await outcome(produceAt(4)),
    produceV2: await outcome(produceAt(2)),
    metadataV1: await outcome(() => lookup({ [apiKeys.Metadata]: { maxVersion: 1 } })(apiKeys.Metadata, requests.Metadata)({ topics: [] })),
    metadataV2: await outcome(() => lookup({ [apiKeys.Metadata]: { maxVersion: 2 } })(apiKeys.Metadata, requests.Metadata)({ topics: [] }).request.encode()),
    metadataV6: await outcome(() => lookup({ [apiKeys.Metadata]: { maxVersion: 6 } })(apiKeys.Metadata, requests.Metadata)({ topics: [] }).request.encode()),
    fetch: await outcome(() => lookup({ [apiKeys.Fetch]: { maxVersion: 11 } })(apiKeys.Fetch, requests.Fetch)({})),
    listOffsets: await outcome(() => lookup({ [apiKeys.ListOffsets]: { maxVersion: 3 } })(apiKeys.ListOffsets, requests.ListOffsets)({})),
    brokerFetch: await outcome(() => Broker.prototype.fetch.call({})),
    brokerJoinGroup: await outcome(() => Broker.prototype.joinGroup.call({})),
    brokerProduce: typeof Broker.prototype.produce,
    aclTypes: await outcome(() => require('kafkajs').AclResourceTypes()),
    configSources: await outcome(() => require('kafkajs').ConfigSource.TOPIC_CONFIG()),
    logged,
  }));
})();
// The plugins read which clients the code makes from calls like this one: kafka.producer(
`);
    expect(results).toEqual({
      producer: 'function',
      admin: 'kafkajs Kafka.admin is not bundled: this function never runs it',
      consumer: 'kafkajs Kafka.consumer is not bundled: this function never runs it',
      transaction:
        'kafkajs producer.transaction is not bundled: no producer here has a transactionalId, so none starts a transaction',
      produceV7: 'ok',
      produceV5: 'ok',
      produceV4:
        'kafkajs produce v4 is not bundled: the broker is older than Kafka 1.0, which these functions need',
      produceV2:
        'kafkajs produce v2 is not bundled: the broker is older than Kafka 1.0, which these functions need',
      metadataV1:
        'kafkajs metadata v1 is not bundled: the broker is older than Kafka 1.0, which these functions need',
      metadataV2: 'ok',
      metadataV6: 'ok',
      fetch: 'kafkajs Fetch request is not bundled: this function never sends it',
      listOffsets: 'kafkajs ListOffsets request is not bundled: this function never sends it',
      brokerFetch: 'kafkajs Broker.fetch is not bundled: this function never runs it',
      brokerJoinGroup: 'kafkajs Broker.joinGroup is not bundled: this function never runs it',
      brokerProduce: 'function',
      aclTypes: 'kafkajs ACL and config types is not bundled: no function reads them',
      configSources: 'kafkajs ACL and config types is not bundled: no function reads them',
      logged: [],
    });
  });

  it('keeps every Kafka error code as kafkajs defines it', async () => {
    const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: unknown[] };
    const results = await run(`
const { errorCodes, createErrorFromCode } = require('kafkajs/src/protocol/error');
const error = createErrorFromCode(27);
console.log(JSON.stringify({ errorCodes, rebalance: { type: error.type, retriable: error.retriable, helpUrl: error.helpUrl } }));
// kafka.producer(
`);
    expect(results.errorCodes).toEqual(JSON.parse(JSON.stringify(errorCodes)));
    expect(results.rebalance).toEqual({
      type: 'REBALANCE_IN_PROGRESS',
      retriable: false,
      helpUrl:
        'https://kafka.js.org/docs/faq#what-does-it-mean-to-get-rebalance-in-progress-errors',
    });
  });
});

describe("kafkajs's default partitioner in a bundle", () => {
  it('places keys as kafkajs does, and starts keyless round robin from random bytes without Web Crypto', async () => {
    const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 1 }));
    const keys = ['o-1', 'o-2', 'order-42', 'ü', ''];
    const bundled = await run(`
const partitionMetadata = ${JSON.stringify(partitionMetadata)};
// Web Crypto, should anything in the bundle reach for it.
let webCrypto = 0;
Object.defineProperty(globalThis, 'crypto', { get() { webCrypto += 1; return undefined; }, configurable: true });
const randomBytes = require('kafkajs/src/producer/partitioners/legacy/randomBytes');
const partition = require('kafkajs/src/producer/partitioners/default')();
console.log(JSON.stringify({
  keyed: ${JSON.stringify(keys)}.map((key) => partition({ topic: 't', partitionMetadata, message: { key, value: 'v' } })),
  keyless: Array.from({ length: 12 }, () => partition({ topic: 'u', partitionMetadata, message: { value: 'v' } })),
  bytes: [randomBytes(32).length, randomBytes(32).equals(randomBytes(32))],
  webCrypto,
}));
// kafka.producer(
`);
    const partition = (
      require('kafkajs/src/producer/partitioners/default') as () => (args: unknown) => number
    )();

    expect(bundled.keyed).toEqual(
      keys.map((key) => partition({ topic: 't', partitionMetadata, message: { key, value: 'v' } })),
    );
    // Round robin: each next message the next partition, from wherever the random start was.
    const keyless = bundled.keyless as number[];
    expect(keyless.slice(1).map((p, i) => (p - (keyless[i] as number) + 6) % 6)).toEqual(
      Array(11).fill(1),
    );
    expect(bundled.bytes).toEqual([32, false]);
    expect(bundled.webCrypto).toBe(0);
  });
});

describe('kafkajs in the health function', () => {
  it('keeps the admin client and ListOffsets, and leaves out the producer', async () => {
    const results = await run(`${outcome}
const { Kafka } = require('kafkajs');
const { requests, lookup } = require('kafkajs/src/protocol/requests');
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys');
const kafka = new Kafka({ brokers: ['localhost:1'], logLevel: 0 });
(async () => {
  console.log(JSON.stringify({
    admin: typeof kafka.admin().fetchTopicOffsets,
    producer: await outcome(() => kafka['producer']()),
    listOffsetsV2: await outcome(() => lookup({ [apiKeys.ListOffsets]: { maxVersion: 2 } })(apiKeys.ListOffsets, requests.ListOffsets)({ replicaId: -1, isolationLevel: 1, topics: [] }).request.encode()),
    listOffsetsV1: await outcome(() => lookup({ [apiKeys.ListOffsets]: { maxVersion: 1 } })(apiKeys.ListOffsets, requests.ListOffsets)({ topics: [] })),
    produce: await outcome(() => lookup({ [apiKeys.Produce]: { maxVersion: 7 } })(apiKeys.Produce, requests.Produce)({})),
    // The admin client's own table, which its ACL calls read; the package's export of it is left out.
    adminsAclTypes: typeof require('kafkajs/src/protocol/aclResourceTypes').TOPIC,
  }));
})();
// kafka.admin(
`);
    expect(results).toEqual({
      admin: 'function',
      producer: 'kafkajs Kafka.producer is not bundled: this function never runs it',
      listOffsetsV2: 'ok',
      listOffsetsV1:
        'kafkajs listOffsets v1 is not bundled: the broker is older than Kafka 1.0, which these functions need',
      produce: 'kafkajs Produce request is not bundled: this function never sends it',
      adminsAclTypes: 'number',
    });
  });
});

describe('the functions bundled', () => {
  it.each(['order-created', 'order-events-batch'])(
    "%s: loading it and a first invocation load none of Node's modules that a cold start against a plaintext broker does not need",
    async (handler) => {
      const printed = await runBundled(
        `
const before = new Set(process.moduleLoadList);
const since = (seen) => process.moduleLoadList.filter((name) => !seen.has(name));
const { handler } = require('./handlers/${handler}.ts');
const atLoad = since(before);
const loaded = new Set(process.moduleLoadList);
const context = { functionName: 'probe', awsRequestId: 'probe', getRemainingTimeInMillis: () => 5000 };
// A direct invocation with a body the route refuses: the whole path up to validation, no broker needed.
handler({}, context).then((answer) =>
  console.log(JSON.stringify({ atLoad, inInvocation: since(loaded), status: answer.status })),
);
`,
        // A function's environment, but for its broker: nothing here opens a connection.
        { KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'SILENT' },
      );
      // The result is the last line: the refusal's EMF metrics go to stdout before it.
      const { atLoad, inInvocation, status } = JSON.parse(
        printed.trim().split('\n').at(-1) ?? '',
      ) as { atLoad: string[]; inInvocation: string[]; status: number };
      expect(status).toBe(400);
      // It does load what it needs, which is how the test knows it looked.
      expect(atLoad).toEqual(expect.arrayContaining(['NativeModule net', 'NativeModule crypto']));
      for (const unneeded of ['assert', 'tls', 'internal/crypto/webcrypto', 'perf_hooks'])
        expect([...atLoad, ...inInvocation]).not.toContain(`NativeModule ${unneeded}`);
    },
  );

  it.each([
    ['handlers/order-created.ts', 'admin/index.js', 'producer/index.js'],
    ['handlers/order-events-batch.ts', 'admin/index.js', 'producer/index.js'],
    ['handlers/health.ts', 'producer/index.js', 'admin/index.js'],
  ])(
    '%s leaves out kafkajs %s, keeps %s, and stays within 250,000 bytes',
    async (handler, out, kept) => {
      const bundle = await bundleHandler(handler);
      // A left-out module is a stand-in made with its name; a kept one is not.
      expect(bundle).toContain(`"kafkajs ${out}"`);
      expect(bundle).not.toContain(`"kafkajs ${kept}"`);
      expect(Buffer.byteLength(bundle)).toBeLessThanOrEqual(250_000);
    },
  );
});
