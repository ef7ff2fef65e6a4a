// The idempotency stores' own behaviour over a real redis-server and dynalite (the DynamoDB API, with the table
// serverless.yml declares), driven through Powertools' persistence layer as the service drives it: records land
// where the table says, and every call ends, as a store error, when the store hangs, dies, refuses writes or is
// down at first use, leaving nothing behind that runs or reconnects later.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IdempotencySettings } from '../../lib/config.js';
import {
  IdempotencyStoreUnavailableError,
  openIdempotencyStore,
  withIdempotencyStoreDeadline,
} from '../../lib/idempotency-stores.js';
import { Secret } from '../../lib/secret.js';
import { localDynamoDbClient } from '../../scripts/local-dynamodb.js';
import {
  idempotencyTableDefinition,
  redisCli,
  type StoreProcess,
  startDynalite,
  startRedis,
} from './support/store-processes.js';

const PORTS = {
  redis: 19455,
  dynalite: 19456,
  smallItemDynalite: 19457,
  nothing: 19458,
  failing: 19459,
};
const STORE_TIMEOUT_MS = 500;
const EXPIRES_SECONDS = 3600;

const settingsFor = (
  store: 'redis' | 'dynamodb',
  port: number,
  storeTimeoutMs = STORE_TIMEOUT_MS,
): IdempotencySettings =>
  store === 'redis'
    ? {
        store,
        url: new Secret(`redis://127.0.0.1:${port}`),
        expiresAfterSeconds: EXPIRES_SECONDS,
        storeTimeoutMs,
      }
    : {
        store,
        table: 'order-events-publisher-dev-idempotency',
        endpoint: { url: `http://127.0.0.1:${port}`, region: 'us-east-1' },
        expiresAfterSeconds: EXPIRES_SECONDS,
        storeTimeoutMs,
      };

/** The persistence layer the service would open, configured as makeIdempotent configures it. */
const openLayer = async (settings: IdempotencySettings): Promise<BasePersistenceLayer> => {
  const layer = await openIdempotencyStore(settings)();
  layer.configure({
    config: new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'request',
      expiresAfterSeconds: EXPIRES_SECONDS,
    }),
    keyPrefix: 'store-test',
  });
  return layer;
};

let counter = 0;
const newRequest = () => ({ key: `k-${Date.now()}-${counter++}`, request: { n: counter } });

const storeFailure = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(IdempotencyStoreUnavailableError);
  return error as IdempotencyStoreUnavailableError;
};

const waitUntil = async (condition: () => Promise<boolean>, what: string) => {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never true: ${what}`);
};

/** Established TCP connections to a local port (this machine's, so this process's clients of a store here). */
const establishedTo = (port: number): number =>
  ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((table) => readFileSync(table, 'utf8').trim().split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, , remote, state]) =>
        state === '01' && Number.parseInt(remote?.split(':')[1] ?? '', 16) === port,
    ).length;

const stores: StoreProcess[] = [];
let redis: StoreProcess;
let dynalite: StoreProcess;

beforeAll(async () => {
  // Each kept as soon as it runs, so that afterAll stops it even when the other fails to start.
  const started = (store: StoreProcess) => {
    stores.push(store);
    return store;
  };
  [redis, dynalite] = await Promise.all([
    startRedis(PORTS.redis).then(started),
    startDynalite(PORTS.dynalite).then(started),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.stop()));
});

describe.each([
  ['redis', PORTS.redis, () => redis],
  ['dynamodb', PORTS.dynalite, () => dynalite],
] as const)('the %s store', (kind, port, storeProcess) => {
  it('keeps a record through its life: in progress, completed, read back, deleted', async () => {
    const layer = await openLayer(settingsFor(kind, port));
    const request = newRequest();
    await layer.saveInProgress(request, 5_000);
    await expect(layer.saveInProgress(request, 5_000)).rejects.toMatchObject({
      name: 'IdempotencyItemAlreadyExistsError',
    });
    await layer.saveSuccess(request, { eventId: 'e-1' });
    const fresh = await openLayer(settingsFor(kind, port)); // no in-memory cache: from the store
    expect((await fresh.getRecord(request)).getResponse()).toEqual({ eventId: 'e-1' });
    await fresh.deleteRecord(request);
    await expect(fresh.getRecord(request)).rejects.toMatchObject({
      name: 'IdempotencyItemNotFoundError',
    });
  });

  it('ends a call to a hung store as a timed-out store error, and leaves no connection behind', async () => {
    const layer = await openLayer(settingsFor(kind, port));
    await layer.saveInProgress(newRequest(), 5_000); // connected
    // Redis lists its clients; for DynamoDB's HTTP API, the kernel's established TCP connections to its port.
    const connections = async () =>
      kind === 'redis'
        ? (await redisCli(port, 'CLIENT', 'LIST')).split('\n').length
        : establishedTo(port);
    const connectedBefore = await connections();
    storeProcess().pause();
    try {
      const error = await storeFailure(layer.saveInProgress(newRequest(), 5_000));
      expect(error).toMatchObject({ store: kind, timedOut: true });
      expect(error.message).toContain(kind);
    } finally {
      storeProcess().resume(); // only once the call has ended
    }
    await waitUntil(
      async () => (await connections()) === connectedBefore - 1,
      'the abandoned connection is closed',
    );
    // The next call opens a new connection and succeeds.
    await layer.saveInProgress(newRequest(), 5_000);
  });

  it('ends a call at the invocation deadline, before its own bound, and sends none after it', async () => {
    const layer = await openLayer(settingsFor(kind, port, 60_000));
    const late = newRequest();
    // A deadline already past: the call fails without reaching the store.
    const error = await storeFailure(
      withIdempotencyStoreDeadline(Date.now() - 1, () => layer.saveInProgress(late, 5_000)),
    );
    expect(error.timedOut).toBe(true);
    await expect(layer.getRecord(late)).rejects.toMatchObject({
      name: 'IdempotencyItemNotFoundError',
    });
    // A store that hangs: the deadline ends the call (the test's own timeout is well under 60 s).
    storeProcess().pause();
    try {
      const hung = await storeFailure(
        withIdempotencyStoreDeadline(Date.now() + 300, () =>
          layer.saveInProgress(newRequest(), 5_000),
        ),
      );
      expect(hung.timedOut).toBe(true);
    } finally {
      storeProcess().resume();
    }
  }, 30_000);

  it('fails a call at once, as a store error, when the store is killed during it; recovers once it is back', async () => {
    const layer = await openLayer(settingsFor(kind, port, 10_000));
    await layer.saveInProgress(newRequest(), 5_000);
    storeProcess().pause();
    const pending = layer.saveInProgress(newRequest(), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the call is on the wire
    await storeProcess().kill();
    const error = await storeFailure(pending);
    expect(error).toMatchObject({ store: kind, timedOut: false });
    await storeProcess().restart();
    await layer.saveInProgress(newRequest(), 5_000);
  }, 30_000);
});

describe('a store down at first use', () => {
  it.each(['redis', 'dynamodb'] as const)(
    '%s: nothing listening is a store error',
    async (kind) => {
      const layer = await openLayer(settingsFor(kind, PORTS.nothing));
      const error = await storeFailure(layer.saveInProgress(newRequest(), 5_000));
      expect(error).toMatchObject({ store: kind });
    },
  );

  it('redis: a server that is down at first use and comes back later is not reconnected to in the background', async () => {
    const layer = await openLayer(settingsFor('redis', PORTS.redis));
    await redis.kill();
    await storeFailure(layer.saveInProgress(newRequest(), 5_000));
    await redis.restart();
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // ample time for a background reconnect
    expect((await redisCli(PORTS.redis, 'CLIENT', 'LIST')).split('\n')).toHaveLength(1);
    await layer.saveInProgress(newRequest(), 5_000); // the next call connects
  });

  it.each(['redis', 'dynamodb'] as const)(
    '%s: a hung server at first use times out',
    async (kind) => {
      const store = kind === 'redis' ? redis : dynalite;
      const layer = await openLayer(
        settingsFor(kind, kind === 'redis' ? PORTS.redis : PORTS.dynalite),
      );
      store.pause();
      try {
        expect(await storeFailure(layer.saveInProgress(newRequest(), 5_000))).toMatchObject({
          store: kind,
          timedOut: true,
        });
      } finally {
        store.resume();
      }
    },
  );
});

describe('a store that refuses writes', () => {
  it('redis: out of memory (maxmemory, noeviction) is a store error, not a hang', async () => {
    const layer = await openLayer(settingsFor('redis', PORTS.redis));
    await redisCli(PORTS.redis, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await redisCli(PORTS.redis, 'CONFIG', 'SET', 'maxmemory', '1');
    try {
      const error = await storeFailure(layer.saveInProgress(newRequest(), 5_000));
      expect(error).toMatchObject({ store: 'redis', operation: 'SET', timedOut: false });
      expect(error.message).toMatch(/OOM/);
    } finally {
      await redisCli(PORTS.redis, 'CONFIG', 'SET', 'maxmemory', '0');
    }
  });

  it('dynamodb: an item over the size limit is refused as a store error', async () => {
    const small = await startDynalite(PORTS.smallItemDynalite, ['--maxItemSizeKb', '1']);
    stores.push(small);
    const layer = await openLayer(settingsFor('dynamodb', PORTS.smallItemDynalite));
    const request = newRequest();
    await layer.saveInProgress(request, 5_000);
    const error = await storeFailure(layer.saveSuccess(request, { big: 'x'.repeat(4_000) }));
    expect(error).toMatchObject({ store: 'dynamodb', operation: 'UpdateItem', timedOut: false });
  });
});

describe('a DynamoDB answer that fails', () => {
  it('is retried once by the SDK for an update, never for the put that claims a key or the delete that frees it', async () => {
    // A DynamoDB endpoint whose every answer is an InternalServerError, which the SDK takes for a transient error.
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(String(request.headers['x-amz-target']));
      request.resume();
      request.on('end', () => {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'the answer was lost',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(PORTS.failing, '127.0.0.1', resolve));
    try {
      const layer = await openLayer(settingsFor('dynamodb', PORTS.failing, 2_000));
      const request = newRequest();
      const putError = await storeFailure(layer.saveInProgress(request, 5_000));
      expect(putError).toMatchObject({ store: 'dynamodb', operation: 'PutItem', timedOut: false });
      const updateError = await storeFailure(layer.saveSuccess(request, { eventId: 'e-1' }));
      expect(updateError).toMatchObject({ store: 'dynamodb', operation: 'UpdateItem' });
      const deleteError = await storeFailure(layer.deleteRecord(request));
      expect(deleteError).toMatchObject({ store: 'dynamodb', operation: 'DeleteItem' });
      expect(requests).toEqual([
        'DynamoDB_20120810.PutItem',
        'DynamoDB_20120810.UpdateItem',
        'DynamoDB_20120810.UpdateItem',
        'DynamoDB_20120810.DeleteItem',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the DynamoDB table, as serverless.yml declares it', () => {
  it('holds each record under its key attribute, with the TTL attribute as epoch seconds', async () => {
    const table = await idempotencyTableDefinition();
    const ttlAttribute = table.TimeToLiveSpecification?.AttributeName;
    const [hashKey] = table.KeySchema;
    expect(ttlAttribute).toBeTruthy();
    const layer = await openLayer(settingsFor('dynamodb', PORTS.dynalite));
    const request = newRequest();
    await layer.saveInProgress(request, 5_000);
    const client = localDynamoDbClient(dynalite.env.IDEMPOTENCY_DYNAMODB_ENDPOINT ?? '');
    try {
      const { Items = [] } = await client.send(new ScanCommand({ TableName: table.TableName }));
      const record = Items.find((item) =>
        item[hashKey?.AttributeName ?? '']?.S?.includes('store-test'),
      );
      expect(record).toBeDefined();
      const expiresAt = Number(record?.[ttlAttribute ?? '']?.N);
      const now = Date.now() / 1000;
      expect(expiresAt).toBeGreaterThan(now + EXPIRES_SECONDS - 60);
      expect(expiresAt).toBeLessThan(now + EXPIRES_SECONDS + 60);
    } finally {
      client.destroy();
    }
  });
});
