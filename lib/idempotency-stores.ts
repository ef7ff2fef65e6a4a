/** The two places Idempotency-Key records live: DynamoDB in AWS, Redis locally. */
import type {
  BasePersistenceLayer,
  IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence';
import type { IdempotencySettings } from './config.js';
import { idempotencyStoreUnavailable } from './http/problem.js';
import type { IdempotencyStore } from './idempotency.js';

export const openIdempotencyStore = (settings: IdempotencySettings): IdempotencyStore => {
  let opening: Promise<BasePersistenceLayer> | undefined;
  return () => {
    opening ??= open(settings).catch((error: unknown) => {
      opening = undefined; // the next request tries again
      throw idempotencyStoreUnavailable(error);
    });
    return opening;
  };
};

const open = async (settings: IdempotencySettings): Promise<BasePersistenceLayer> => {
  if (settings.store === 'dynamodb') {
    const { DynamoDBPersistenceLayer } = await import(
      '@aws-lambda-powertools/idempotency/dynamodb'
    );
    return new DynamoDBPersistenceLayer({ tableName: settings.table });
  }
  const [{ createClient }, { CachePersistenceLayer }] = await Promise.all([
    import('@redis/client'),
    import('@aws-lambda-powertools/idempotency/cache'),
  ]);
  const client = createClient({ url: settings.url.reveal(), socket: { connectTimeout: 2_000 } });
  // Without a listener, a dropped Redis connection would be an uncaught 'error' event and end the process;
  // the client reconnects by itself, and a request meanwhile gets a 503.
  client.on('error', () => undefined);
  await client.connect();

  /**
   * Powertools 2.35's CachePersistenceLayer drops the payload hash when it marks a record COMPLETED, so every
   * retry would fail validation (422) even with the same body. This writes the completed record with it.
   */
  class CompletedRecordsKeepTheirPayloadHash extends CachePersistenceLayer {
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
  return new CompletedRecordsKeepTheirPayloadHash({ client });
};
