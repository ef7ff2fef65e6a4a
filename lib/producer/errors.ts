/** Failures of the broker side. Each is answered 503 with Retry-After: the caller may safely try again. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  /** Kafka's error name (e.g. NOT_LEADER_OR_FOLLOWER) when the broker answered with one. */
  readonly kafkaErrorCode: string | undefined;

  constructor(message: string, options: { cause?: unknown; kafkaErrorCode?: string } = {}) {
    super(message, { cause: options.cause });
    this.kafkaErrorCode = options.kafkaErrorCode;
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
