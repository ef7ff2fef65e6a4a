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
} from './problem.js';

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
  return internalError();
};
