/**
 * The two places Idempotency-Key records live: DynamoDB in AWS, Redis locally (or DynamoDB through a local
 * implementation of its API).
 *
 * Every call to a store is bounded, connect included: it ends within `storeTimeoutMs`, and never later than
 * the deadline of the invocation it serves (see withIdempotencyStoreDeadline). A call that runs out of time
 * is abandoned for good: its Redis connection is destroyed (rejecting whatever else was queued on it; the
 * next call opens a new one) and its DynamoDB request aborted, so nothing of it is sent after the caller
 * has been answered. Every store failure is an IdempotencyStoreUnavailableError naming the store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  BasePersistenceLayer,
  IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence';
import type { CacheClient } from '@aws-lambda-powertools/idempotency/types';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { IdempotencySettings } from './config.js';
import { idempotencyStoreUnavailable } from './http/problem.js';
import type { IdempotencyStore } from './idempotency.js';

export type IdempotencyStoreKind = IdempotencySettings['store'];

/**
 * A store call that failed or ran out of time. Before a publish it means nothing was published; after one
 * (recording the answer, or deleting the record of a failed publish), the publish's own outcome is the answer.
 */
export class IdempotencyStoreUnavailableError extends Error {
  override name = 'IdempotencyStoreUnavailableError';

  constructor(
    readonly store: IdempotencyStoreKind,
    /** The store's own name for it: GET, SET, DEL, connect; GetItem, PutItem, UpdateItem, DeleteItem. */
    readonly operation: string,
    /** Out of time (the store hangs, or the invocation's deadline came), rather than refused or unreachable. */
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    const why = timedOut
      ? 'did not answer in time'
      : `failed: ${options?.cause instanceof Error ? options.cause.message : String(options?.cause)}`;
    super(`Idempotency store (${store}) ${operation} ${why}`, options);
  }
}

const invocationDeadline = new AsyncLocalStorage<number>();

/**
 * Runs work whose store calls must all end by `deadline` (epoch ms) as well as within their own bound: a call
 * that would outlive it is abandoned then, and one that starts after it fails at once without being sent.
 */
export const withIdempotencyStoreDeadline = <T>(deadline: number, work: () => Promise<T>) =>
  invocationDeadline.run(deadline, work);

/** The time a call starting now may take: its own bound, cut to the invocation's deadline if there is one. */
const timeLeftMs = (storeTimeoutMs: number) => {
  const deadline = invocationDeadline.getStore();
  return deadline === undefined ? storeTimeoutMs : Math.min(storeTimeoutMs, deadline - Date.now());
};

/**
 * Runs one store call within its time, giving it an AbortSignal that fires when the time is up. Any failure
 * but the store's own answers becomes an IdempotencyStoreUnavailableError.
 */
const bounded = async <T>(
  store: IdempotencyStoreKind,
  operation: string,
  storeTimeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
  {
    abandon = () => undefined,
    isAnswer = () => false,
  }: {
    /** Tears down what the call was using, once its time is up. */
    abandon?: () => void;
    /** An answer of the store's that is no failure of it (a condition that did not hold). */
    isAnswer?: (error: unknown) => boolean;
  } = {},
): Promise<T> => {
  const timeMs = timeLeftMs(storeTimeoutMs);
  if (timeMs <= 0) throw new IdempotencyStoreUnavailableError(store, operation, true);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      abandon();
      reject(new IdempotencyStoreUnavailableError(store, operation, true));
    }, timeMs);
  });
  const work = call(controller.signal);
  work.catch(() => undefined); // settles after an abandon too; its outcome no longer matters
  try {
    return await Promise.race([work, timedOut]);
  } catch (error) {
    if (error instanceof IdempotencyStoreUnavailableError || isAnswer(error)) throw error;
    throw new IdempotencyStoreUnavailableError(store, operation, false, { cause: error });
  } finally {
    clearTimeout(timer);
  }
};

export const openIdempotencyStore = (settings: IdempotencySettings): IdempotencyStore => {
  let opening: Promise<BasePersistenceLayer> | undefined;
  return () => {
    // Loads the store's modules; connecting is part of each call's bound, not of this.
    opening ??= open(settings).catch((error: unknown) => {
      opening = undefined; // the next request tries again
      throw idempotencyStoreUnavailable(error);
    });
    return opening;
  };
};

const open = (settings: IdempotencySettings): Promise<BasePersistenceLayer> =>
  settings.store === 'dynamodb' ? openDynamoDb(settings) : openRedis(settings);

/**
 * Powertools lets a request claim a key whose record is still in progress once that record's in-progress time
 * has passed, whatever its payload: neither store's claim reads the payload hash. A record left in progress by a
 * publish whose outcome the store could not record would so let a different request under the same key publish,
 * where it must be refused (422) as it is once the record is complete. This adds to the DynamoDB put's condition
 * that such a record holds the same payload hash; the same request still takes the key over (and publishes again
 * under the same event ids). Powertools then reads the record the failed condition returns, and refuses the
 * request for its payload.
 */
const takeOverOnlyWithTheSamePayload = (input: PutItemCommandInput) => {
  const hash = input.Item?.validation;
  if (hash === undefined) return;
  // AND binds before OR: this joins the last branch of Powertools' condition, its lapsed in-progress record.
  input.ConditionExpression += ' AND #validation = :validation';
  Object.assign(input.ExpressionAttributeNames as object, { '#validation': 'validation' });
  Object.assign(input.ExpressionAttributeValues as object, { ':validation': hash });
};

const openDynamoDb = async (
  settings: Extract<IdempotencySettings, { store: 'dynamodb' }>,
): Promise<BasePersistenceLayer> => {
  const [{ DynamoDBPersistenceLayer }, { ConditionalCheckFailedException, DynamoDBClient }] =
    await Promise.all([
      import('@aws-lambda-powertools/idempotency/dynamodb'),
      import('@aws-sdk/client-dynamodb'),
    ]);
  const timeoutMs = settings.storeTimeoutMs;
  const shared = {
    // throwOnRequestTimeout: without it a late answer only logs a warning (the bound below still ends it).
    requestHandler: {
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(settings.endpoint
      ? {
          endpoint: settings.endpoint.url,
          region: settings.endpoint.region,
          // A local DynamoDB API accepts any credentials; these spare the SDK a search for real ones
          // (which would end at the instance metadata address).
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  };
  // Reads and updates get one retry of the SDK's, within the bound (a 5xx, a lost connection; a throttled call's
  // back-off mostly outlasts it). The put that claims a key and the delete that frees it get none: a put the table
  // applied before its answer was lost would, sent again, find the request's own record and answer it 409, and a
  // delete sent again could remove the claim another request has made since. The caller's retry is theirs.
  const client = new DynamoDBClient({ ...shared, maxAttempts: 2 });
  const once = new DynamoDBClient({
    ...shared,
    maxAttempts: 1,
    // Over the same connections.
    requestHandler: client.config.requestHandler,
  });
  // Powertools sends each command without an AbortSignal: every send gets the bound's. A failed condition
  // (the key exists already) is Powertools' to read, not a failure of the store.
  type Send = (command: object, options: { abortSignal: AbortSignal }) => Promise<unknown>;
  const send = client.send.bind(client) as Send;
  const sendOnce = once.send.bind(once) as Send;
  const conditionFailed = (error: unknown) => error instanceof ConditionalCheckFailedException;
  Object.assign(client, {
    send: (command: object) => {
      const operation = command.constructor.name.replace(/Command$/, '');
      if (operation === 'PutItem')
        takeOverOnlyWithTheSamePayload((command as { input: PutItemCommandInput }).input);
      return bounded(
        'dynamodb',
        operation,
        timeoutMs,
        (signal) =>
          (operation === 'PutItem' || operation === 'DeleteItem' ? sendOnce : send)(command, {
            abortSignal: signal,
          }),
        { isAnswer: conditionFailed },
      );
    },
  });
  return new DynamoDBPersistenceLayer({ tableName: settings.table, awsSdkV3Client: client });
};

const openRedis = async (
  settings: Extract<IdempotencySettings, { store: 'redis' }>,
): Promise<BasePersistenceLayer> => {
  const [{ createClient }, { CachePersistenceLayer }, { IdempotencyItemAlreadyExistsError }] =
    await Promise.all([
      import('@redis/client'),
      import('@aws-lambda-powertools/idempotency/cache'),
      import('@aws-lambda-powertools/idempotency'),
    ]);
  const timeoutMs = settings.storeTimeoutMs;
  const newClient = () =>
    createClient({
      url: settings.url.reveal(),
      // A connection that drops is not reopened in the background: the next call opens a new one, within
      // its own bound. Commands are never queued for a connection that is not ready.
      socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
      disableOfflineQueue: true,
    });
  type Client = ReturnType<typeof newClient>;
  let current: { client: Client; ready: Promise<Client> } | undefined;

  const destroy = (client: Client) => {
    try {
      client.destroy();
    } catch {
      // closed already
    }
  };

  const connect = (): Promise<Client> => {
    const client = newClient();
    // Without a listener, a dropped connection would be an uncaught 'error' event and end the process.
    client.on('error', () => undefined);
    const ready = client.connect().then(
      () => client,
      (error: unknown) => {
        if (current?.client === client) current = undefined;
        destroy(client);
        throw error;
      },
    );
    current = { client, ready };
    return ready;
  };

  // Reuses the open connection (or the one being opened); one that has closed since is replaced.
  const connected = (): Promise<Client> => (current?.client.isOpen ? current.ready : connect());

  // node-redis's own command timeout stops counting once a command is written, so it cannot end a call to
  // a server that hangs: the bound does, by destroying the connection, which rejects all it had queued and
  // stops a connect in progress.
  const abandonConnection = () => {
    const abandoned = current?.client;
    current = undefined;
    if (abandoned) destroy(abandoned);
  };

  const call = <T>(operation: string, command: (client: Client) => Promise<T>) =>
    bounded('redis', operation, timeoutMs, async () => command(await connected()), {
      abandon: abandonConnection,
    });

  const client: CacheClient = {
    get: (name) => call('GET', (redis) => redis.get(name)),
    set: (name, value, options) =>
      call('SET', (redis) =>
        // Powertools writes string keys and JSON values, with its own { EX, NX } options.
        redis.set(String(name), value as string, options as Parameters<Client['set']>[2]),
      ),
    del: (keys) => call('DEL', (redis) => redis.del(keys)),
  };

  /** The record a request is claiming its key with, while it does. */
  const claiming = new AsyncLocalStorage<IdempotencyRecord>();

  /**
   * Powertools 2.35's CachePersistenceLayer drops the payload hash when it marks a record COMPLETED, so every
   * retry would fail validation (422) even with the same body: this writes the completed record with it. And
   * when a claim finds the key's record in progress, its time lapsed, Powertools takes the key over whatever the
   * payload (see takeOverOnlyWithTheSamePayload): this hands Powertools a record in progress for another payload,
   * lapsed or not, as the key's, which it then refuses (422).
   */
  class PayloadHashKeptAndChecked extends CachePersistenceLayer {
    protected override _putRecord(record: IdempotencyRecord): Promise<void> {
      return claiming.run(record, () => super._putRecord(record));
    }

    protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
      const found = await super._getRecord(idempotencyKey);
      const claim = claiming.getStore();
      if (
        claim?.idempotencyKey === idempotencyKey &&
        found.getStatus() === 'INPROGRESS' &&
        found.payloadHash !== claim.payloadHash
      )
        throw new IdempotencyItemAlreadyExistsError('in progress for another payload', found);
      return found;
    }

    protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
      const item = {
        status: record.getStatus(),
        expiration: record.expiryTimestamp,
        data: record.responseData,
        validation: record.payloadHash,
      };
      const secondsLeft = Math.max(
        1,
        (record.expiryTimestamp ?? 0) - Math.floor(Date.now() / 1000),
      );
      await client.set(record.idempotencyKey, JSON.stringify(item), { EX: secondsLeft });
    }
  }
  return new PayloadHashKeptAndChecked({ client });
};
