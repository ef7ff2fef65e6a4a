/**
 * Idempotency-Key support, on Powertools for AWS Lambda's idempotency utility: the first successful answer
 * for a key is stored, and a retry with the same key and the same request gets that answer back without
 * running (publishing) again. The store is shared by every container and survives cold starts: DynamoDB in
 * AWS, Redis locally.
 *
 * Powertools' middy middleware is not used: when its `before` refuses a request (key in flight, or reused
 * with another body), its `onError` deletes the very record that caused the refusal. makeIdempotent
 * deletes a record only when the work itself failed.
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { IdempotencySettings } from './config.js';
import {
  idempotencyKeyInFlight,
  idempotencyKeyReused,
  idempotencyStoreUnavailable,
} from './http/problem.js';

export interface KeyedRequest {
  key: string;
  /** What must be the same for a retry to get the stored answer: the body, and the path's orderId. */
  request: unknown;
}

export type IdempotentWork<T> = (request: KeyedRequest, context: Context) => Promise<T>;

export interface Idempotency {
  /** Makes work run at most once per key (per route: keyPrefix), returning the stored answer on a retry. */
  wrap<T>(keyPrefix: string, work: IdempotentWork<T>): IdempotentWork<T>;
}

/**
 * Opens the persistence layer on first use, once per container: its modules (and the AWS SDK or Redis
 * client under them) load only in functions that receive an Idempotency-Key, not at every cold start.
 */
export type IdempotencyStore = () => Promise<BasePersistenceLayer>;

export const createIdempotency = (
  settings: Pick<IdempotencySettings, 'expiresAfterSeconds'>,
  store: IdempotencyStore,
): Idempotency => ({
  wrap: <T>(keyPrefix: string, work: IdempotentWork<T>): IdempotentWork<T> => {
    const config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'request',
      expiresAfterSeconds: settings.expiresAfterSeconds,
      throwOnNoIdempotencyKey: true,
    });
    let idempotent: IdempotentWork<T> | undefined;
    return async (request, context) => {
      try {
        idempotent ??= makeIdempotent(work, { persistenceStore: await store(), config, keyPrefix });
        return await idempotent(request, context);
      } catch (error) {
        throw toIdempotencyProblem(error);
      }
    };
  },
});

/** The store's refusals as problems; anything else (the work's own errors) passes through unchanged. */
const toIdempotencyProblem = (error: unknown): unknown => {
  const name = error instanceof Error ? error.name : '';
  // Powertools wraps what the work threw; the work's own error is the answer.
  if (name === 'IdempotencyUnknownError' && error instanceof Error && error.cause)
    return error.cause;
  switch (name) {
    case 'IdempotencyAlreadyInProgressError':
      return idempotencyKeyInFlight();
    case 'IdempotencyValidationError':
      return idempotencyKeyReused();
    case 'IdempotencyPersistenceLayerError':
    case 'IdempotencyInconsistentStateError':
    case 'IdempotencyPersistenceConsistencyError':
      return idempotencyStoreUnavailable(error);
    default:
      return error;
  }
};
