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

import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { IdempotencySettings } from './config.js';
import { type Deadline, withDeadline } from './deadline.js';
import {
  idempotencyKeyInFlight,
  idempotencyKeyReused,
  idempotencyStoreUnavailable,
} from './http/problem.js';
import { withIdempotencyStoreDeadline } from './idempotency-stores.js';

export interface KeyedRequest {
  /** The verified caller: two callers' equal keys are two independent requests. */
  caller: string;
  key: string;
  /** What must be the same for a retry to get the stored answer: the validated request. */
  request: unknown;
}

/**
 * Told when the answer is known but the store did not record it: after a publish, the receipt was not stored
 * (a retry may publish again); after a failed publish, its in-progress record was not deleted (retries with
 * the key get 409 until that record lapses with the invocation's time).
 */
export type UnconfirmedAnswer = (error: unknown, outcome: 'published' | 'failed') => void;

export interface Idempotency {
  /**
   * Runs `publish` at most once per caller and key (per route: keyPrefix), and answers a retry with the stored
   * answer. Ends by `deadline`: a store that has not answered by then gets a 503 and `publish` never starts
   * afterwards; once `publish` has succeeded, its answer is the answer even if the store then fails (told to
   * `unconfirmed`), since the event is written.
   */
  run<T>(
    keyPrefix: string,
    request: KeyedRequest,
    publish: () => Promise<T>,
    options: RunOptions,
  ): Promise<T>;
}

export interface RunOptions {
  context: Context;
  /** By when the publish must have ended: no send starts after it. */
  deadline: Deadline;
  /**
   * How long after the deadline the store may still take to record the outcome (delete the in-progress record
   * of a failed publish, say), out of the margin the invocation keeps for its answer. Without it, a publish that
   * used its whole budget would leave its key in progress, and the client's retry would get 409.
   */
  graceMs: number;
  unconfirmed: UnconfirmedAnswer;
}

/**
 * Opens the persistence layer on first use, once per container: its modules (and the AWS SDK or Redis
 * client under them) load only in functions that receive an Idempotency-Key, not at every cold start.
 */
export type IdempotencyStore = () => Promise<BasePersistenceLayer>;

/** The work Powertools runs at most once: the publish a call hands in (an argument, so never hashed). */
type Publish = (
  request: KeyedRequest,
  context: Context,
  publish: () => Promise<unknown>,
) => Promise<unknown>;
const runPublish: Publish = (_request, _context, publish) => publish();

/** Thrown into Powertools' handler when the store answered too late for the publish to start. */
class AbandonedBeforePublish extends Error {
  override name = 'AbandonedBeforePublish';
}

/** The store did not answer within the invocation's deadline. */
class StoreTooLate extends Error {
  override name = 'StoreTooLate';
}

export const createIdempotency = (
  settings: Pick<IdempotencySettings, 'expiresAfterSeconds'>,
  store: IdempotencyStore,
): Idempotency => {
  const idempotentByRoute = new Map<string, Publish>();
  const idempotentFor = async (keyPrefix: string): Promise<Publish> => {
    let idempotent = idempotentByRoute.get(keyPrefix);
    if (!idempotent) {
      // Loaded by the first keyed request: most requests carry no key, and a cold start need not pay for it.
      const [{ IdempotencyConfig, makeIdempotent }, persistenceStore] = await Promise.all([
        import('@aws-lambda-powertools/idempotency'),
        store(),
      ]);
      const config = new IdempotencyConfig({
        eventKeyJmesPath: '[caller, key]',
        payloadValidationJmesPath: 'request',
        expiresAfterSeconds: settings.expiresAfterSeconds,
        throwOnNoIdempotencyKey: true,
      });
      idempotent = makeIdempotent(runPublish, { persistenceStore, config, keyPrefix });
      idempotentByRoute.set(keyPrefix, idempotent);
    }
    return idempotent;
  };

  return {
    run: async <T>(
      keyPrefix: string,
      request: KeyedRequest,
      publish: () => Promise<T>,
      { context, deadline, graceMs, unconfirmed }: RunOptions,
    ): Promise<T> => {
      // An object, not a variable: the publish changes it while this function awaits.
      const progress: { stage: 'store' | 'publishing' | 'published' | 'abandoned' } = {
        stage: 'store',
      };
      let publishing: Promise<T> | undefined;
      let answer: T | undefined;
      const publishOnce = async (): Promise<T> => {
        if (progress.stage === 'abandoned' || deadline.passed) throw new AbandonedBeforePublish();
        progress.stage = 'publishing';
        publishing = publish();
        answer = await publishing;
        progress.stage = 'published';
        return answer;
      };
      const budgetMs = deadline.remainingMs() + graceMs;
      const endsAt = Date.now() + budgetMs;
      // Powertools lets an in-progress record lapse when the invocation's time is up: that is this request's
      // end, not Lambda's (minutes later), so a record left behind by a crash frees its key soon.
      const invocation: Context = {
        ...context,
        getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
      };
      const storeTooLate = () =>
        new StoreTooLate(`The idempotency store did not answer within ${budgetMs} ms`);
      try {
        const idempotent = await withDeadline(idempotentFor(keyPrefix), budgetMs, storeTooLate);
        // Every store call made for this request ends by the deadline too (see idempotency-stores.ts).
        const call = withIdempotencyStoreDeadline(
          endsAt,
          () => idempotent(request, invocation, publishOnce) as Promise<T>,
        );
        return await withDeadline(call, Math.max(0, endsAt - Date.now()), storeTooLate);
      } catch (error) {
        if (progress.stage === 'published') {
          // The event is written: its receipt is the true answer, whatever the store did after.
          unconfirmed(error, 'published');
          return answer as T;
        }
        if (progress.stage === 'publishing' && publishing) {
          // The send began, so only its own outcome says what reached Kafka: its receipt, or its error. The
          // store's error is not the answer; after a failed send (the in-progress record not deleted) it would
          // say nothing was published. When the store was too late, the send has the same deadline and ends
          // about now.
          const sent = await publishing.then(
            (receipt) => ({ receipt }),
            (failure: unknown) => ({ failure }),
          );
          if ('receipt' in sent) {
            unconfirmed(error, 'published');
            return sent.receipt;
          }
          // Unless the error is the send's own (passed on once its record was deleted), the store failed too.
          const own =
            error === sent.failure || (error instanceof Error && error.cause === sent.failure);
          if (!own) unconfirmed(error, 'failed');
          throw sent.failure;
        }
        progress.stage = 'abandoned';
        const problem = toIdempotencyProblem(error);
        if (problem instanceof StoreTooLate || problem instanceof AbandonedBeforePublish)
          throw idempotencyStoreUnavailable(problem);
        throw problem;
      }
    },
  };
};
/** The store's refusals as problems; anything else (the work's own errors) passes through unchanged. */
const toIdempotencyProblem = (error: unknown): unknown => {
  const name = error instanceof Error ? error.name : '';
  // Powertools wraps what the work threw; the work's own error is the answer.
  if (name === 'IdempotencyUnknownError' && error instanceof Error && error.cause)
    return error.cause;
  switch (name) {
    case 'IdempotencyAlreadyInProgressError':
    // The record a request collided with was gone when Powertools read it (its own request had failed and freed
    // the key): in flight a moment ago, and a retry goes through.
    case 'IdempotencyItemNotFoundError':
      return idempotencyKeyInFlight();
    case 'IdempotencyValidationError':
      return idempotencyKeyReused();
    case 'IdempotencyStoreUnavailableError':
    case 'IdempotencyPersistenceLayerError':
    case 'IdempotencyInconsistentStateError':
    case 'IdempotencyPersistenceConsistencyError':
      return idempotencyStoreUnavailable(error);
    default:
      return error;
  }
};
