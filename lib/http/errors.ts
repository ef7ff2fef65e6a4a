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
  malformedJson,
  unsupportedMediaType,
} from './problem.js';

interface MiddyErrorCause {
  package?: string;
  data?: unknown;
  message?: string;
}

/** middy's errors say which middy package threw them in `cause.package`. */
const middyCause = (error: unknown, packageName: string): MiddyErrorCause | undefined => {
  if (!(error instanceof Error) || typeof error.cause !== 'object' || error.cause === null)
    return undefined;
  const cause = error.cause as MiddyErrorCause;
  return cause.package === packageName ? cause : undefined;
};

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
  if (middyCause(error, '@middy/core') && (error as Error).name === 'TimeoutError') {
    return brokerUnavailable(
      'The invocation ran out of time before Kafka acknowledged the event; retry the request.',
    );
  }
  // @middy/http-json-body-parser answers a wrong Content-Type with 415 and unparseable JSON with 422;
  // unparseable JSON is a bad request (400), as every other body that cannot be read.
  const parserCause = middyCause(error, '@middy/http-json-body-parser');
  if (parserCause) {
    if ((error as Error).message === 'Unsupported Media Type') {
      return unsupportedMediaType(
        typeof parserCause.data === 'string' ? parserCause.data : undefined,
      );
    }
    return malformedJson(parserCause.message ?? 'it cannot be parsed');
  }
  return internalError();
};
