/**
 * One mapping from anything the publishing path can throw to the problem the caller sees, shared by the
 * HTTP edge and direct invocation so both answer the same failure the same way.
 */
import { BrokerError, BudgetSpentError, PublishTimeoutError } from '../producer/errors.js';
import {
  brokerUnavailable,
  brokerUnreachable,
  budgetSpentBeforeSend,
  HttpProblem,
  internalError,
  internalErrorAfterPublish,
  internalErrorDuringSend,
} from './problem.js';

/** How far a publish had got when an unexpected error stopped it, when it had got to Kafka at all. */
export type PublishStage = 'sending' | 'acknowledged';

// Kept beside the error rather than in a wrapper, so that the logs report the error itself, with its class.
const stages = new WeakMap<object, PublishStage>();

/**
 * Notes on an unexpected error how far its publish had got, so that the answer says no more than is known: an
 * error before the send is the only kind after which "nothing was published" is certain. The first note stands
 * (the innermost code knows best). Returns the error to throw: a thrown value that is no object, wrapped.
 */
export const atPublishStage = (error: unknown, stage: PublishStage): object => {
  const thrown =
    typeof error === 'object' && error !== null
      ? error
      : new Error(String(error), { cause: error });
  if (!stages.has(thrown)) stages.set(thrown, stage);
  return thrown;
};

const stageOf = (error: unknown): PublishStage | undefined =>
  typeof error === 'object' && error !== null ? stages.get(error) : undefined;

/** middy's errors say which middy package threw them in `cause.package`. */
const thrownByMiddy = (error: unknown, packageName: string): boolean =>
  error instanceof Error &&
  typeof error.cause === 'object' &&
  error.cause !== null &&
  (error.cause as { package?: unknown }).package === packageName;

export const toHttpProblem = (error: unknown): HttpProblem => {
  if (error instanceof HttpProblem) return error;
  if (error instanceof BudgetSpentError) return budgetSpentBeforeSend();
  if (error instanceof PublishTimeoutError) {
    return brokerUnavailable(
      'Kafka did not acknowledge the event in time. It may or may not have been written; retry the request.',
    );
  }
  if (error instanceof BrokerError) {
    return brokerUnreachable();
  }
  // @middy/core's own last-moment timeout, should a publish outlive the budget it was given.
  if (thrownByMiddy(error, '@middy/core') && (error as Error).name === 'TimeoutError') {
    return brokerUnavailable(
      'The invocation ran out of time before Kafka acknowledged the event; retry the request.',
    );
  }
  switch (stageOf(error)) {
    case 'sending':
      return internalErrorDuringSend();
    case 'acknowledged':
      return internalErrorAfterPublish();
    default:
      return internalError();
  }
};
