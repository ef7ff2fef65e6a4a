/** Failures of the broker side. Each is answered 503 with Retry-After: the caller may safely try again. */
import type { RecordAck } from './event-producer.js';

export interface BrokerErrorOptions {
  cause?: unknown;
  kafkaErrorCode?: string;
  /** Per record of the send, in its order: the ack of each record the broker acknowledged before the failure. */
  acknowledged?: readonly (RecordAck | undefined)[];
}

export class BrokerError extends Error {
  override name = 'BrokerError';
  /** Kafka's error name (e.g. NOT_LEADER_OR_FOLLOWER) when the broker answered with one. */
  readonly kafkaErrorCode: string | undefined;
  readonly acknowledged: readonly (RecordAck | undefined)[];

  constructor(message: string, options: BrokerErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.kafkaErrorCode = options.kafkaErrorCode;
    this.acknowledged = options.acknowledged ?? [];
  }

  /** How many records of the send the broker acknowledged before it failed. */
  get acknowledgedCount(): number {
    return this.acknowledged.filter((ack) => ack !== undefined).length;
  }
}

/** No broker could be reached, or the broker refused the record. */
export class BrokerUnavailableError extends BrokerError {
  override name = 'BrokerUnavailableError';
}

/** The broker did not acknowledge within the invocation's time budget. */
export class PublishTimeoutError extends BrokerError {
  override name = 'PublishTimeoutError';
}

/** The invocation's budget was spent before the send began, so nothing was sent. */
export class BudgetSpentError extends BrokerError {
  override name = 'BudgetSpentError';
}

/**
 * The error and the ones it wraps (`cause`), outermost first: kafkajs wraps what its retries last saw, and this
 * code wraps kafkajs's errors. Bounded, so a cause that points back at itself ends it.
 */
export const causeChain = (error: unknown): object[] => {
  const chain: object[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 5; ) {
    if (chain.includes(current)) break;
    chain.push(current);
    current = 'cause' in current ? current.cause : undefined;
  }
  return chain;
};
