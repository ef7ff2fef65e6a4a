/**
 * Problem Details for HTTP APIs (RFC 9457): every error the service answers is one of these, as
 * application/problem+json. Only what is written here reaches a caller: never a stack trace or an
 * internal error message.
 */
export interface FieldError {
  /** Where the bad value is, e.g. "body.items.0.quantity" or "pathParameters.orderId". */
  path: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** Per event of a request that was partly written: which the broker acknowledged, which not. */
  results?: EventResult[];
}

/** One event's outcome in a partly written request, in the request's order. */
export type EventResult =
  | { eventId: string; status: 'acknowledged'; partition: number; offset: string }
  | { eventId: string; status: 'not-acknowledged' };

/** Seconds a caller should wait before retrying a 409 or a 503. */
export const RETRY_AFTER_SECONDS = 1;
const retryAfter = { 'Retry-After': String(RETRY_AFTER_SECONDS) };

const problemType = (slug: string) => `urn:order-events-publisher:problem:${slug}`;

export class HttpProblem extends Error {
  override name = 'HttpProblem';

  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
    /** How many errors were found, of which `errors` holds at most the first MAX_FIELD_ERRORS. */
    readonly errorCount: number = errors?.length ?? 0,
    readonly results?: EventResult[],
  ) {
    super(detail);
  }

  toDocument(): ProblemDocument {
    const document: ProblemDocument = {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.detail,
    };
    if (this.errors) document.errors = this.errors;
    if (this.results) document.results = this.results;
    return document;
  }
}

/**
 * A bad request is answered and logged with at most this many errors: the answer and the log line stay
 * small whatever the request (a 255 KiB batch of invalid items has hundreds of thousands of them).
 */
export const MAX_FIELD_ERRORS = 20;

/** Longer messages are cut: zod's message for unknown keys lists every key, as many as the body holds. */
export const MAX_ERROR_MESSAGE_CHARS = 200;

const boundedMessage = ({ path, message }: FieldError): FieldError => ({
  path: path.length > MAX_ERROR_MESSAGE_CHARS ? `${path.slice(0, MAX_ERROR_MESSAGE_CHARS)}…` : path,
  message:
    message.length > MAX_ERROR_MESSAGE_CHARS
      ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
      : message,
});

export const invalidRequest = (errors: readonly FieldError[]) => {
  const shown = errors.slice(0, MAX_FIELD_ERRORS).map(boundedMessage);
  const more = errors.length - shown.length;
  return new HttpProblem(
    400,
    'invalid-request',
    'Invalid request',
    more > 0
      ? `The request has ${errors.length} invalid values; errors lists the first ${shown.length} (${more} more not shown).`
      : `The request has ${errors.length} invalid value(s); see errors.`,
    shown,
    {},
    errors.length,
  );
};

export const nestedTooDeep = (limit: number) =>
  invalidRequest([
    {
      path: 'body',
      message: `nests arrays and objects more than ${limit} levels deep; no request nests that deep`,
    },
  ]);

export const tooManyArrayElements = (limit: number) =>
  invalidRequest([
    {
      path: 'body',
      message: `holds more than ${limit} array elements; no request holds that many`,
    },
  ]);

export const malformedJson = (reason: string) =>
  new HttpProblem(
    400,
    'malformed-json',
    'Malformed JSON',
    `The request body is not valid JSON: ${reason}`,
    [{ path: 'body', message: reason }],
  );

export const emptyBody = () =>
  new HttpProblem(
    400,
    'empty-body',
    'Empty request body',
    'The request body is empty; send the event as a JSON object.',
    [{ path: 'body', message: 'is empty' }],
  );

export const invalidEncoding = (reason: string) =>
  new HttpProblem(400, 'invalid-encoding', 'Invalid body encoding', reason, [
    { path: 'body', message: reason },
  ]);

export const payloadTooLarge = (limitBytes: number, actualBytes: number) =>
  new HttpProblem(
    413,
    'payload-too-large',
    'Payload too large',
    `The request body is ${actualBytes} bytes; the limit is ${limitBytes} bytes.`,
  );

export const unsupportedMediaType = (contentType: string | undefined) =>
  new HttpProblem(
    415,
    'unsupported-media-type',
    'Unsupported media type',
    `Send the body as application/json${contentType ? `, not ${contentType}` : ' (the Content-Type header is missing)'}.`,
  );

export const brokerUnavailable = (detail: string) =>
  new HttpProblem(503, 'broker-unavailable', 'Kafka unavailable', detail, undefined, retryAfter);

/**
 * Kafka refused, could not be reached or failed before acknowledging: nothing was acknowledged, but the event
 * may have been written all the same (a request that went out before its connection failed, or a broker that
 * wrote some partitions of a request and refused the rest). The example GET /openapi.json shows, too.
 */
export const brokerUnreachable = () =>
  brokerUnavailable(
    'Kafka could not be reached or did not acknowledge the event. Nothing was acknowledged, but it may have been written; retry the request.',
  );

/**
 * Some events of the request were acknowledged, some not. With an Idempotency-Key, its retry re-sends them all
 * under the same eventIds; without one, a resent event gets a new eventId, so only the others should be resent.
 */
export const eventsPartlyAcknowledged = (results: EventResult[], keyed = true) => {
  const acknowledged = results.filter(({ status }) => status === 'acknowledged').length;
  return new HttpProblem(
    503,
    'events-partly-acknowledged',
    'Some events were not acknowledged',
    `Kafka acknowledged ${acknowledged} of the ${results.length} events (see results); the others may or may not have been written. ${
      keyed
        ? 'Retry the request with the same Idempotency-Key: the retry writes every event under the eventId it has here.'
        : 'Resend only the events not acknowledged: without an Idempotency-Key, a resent event gets a new eventId.'
    }`,
    undefined,
    retryAfter,
    0,
    results,
  );
};

/**
 * The invocation's time was spent before the send began: little was left when the request arrived. (A store
 * too slow for the send to start answers idempotency-store-unavailable instead.)
 */
export const budgetSpentBeforeSend = () =>
  new HttpProblem(
    503,
    'time-budget-spent',
    'Out of time before publishing',
    "The invocation's time ran out before the event could be sent; nothing was published. Retry the request.",
    undefined,
    retryAfter,
  );

/** An Idempotency-Key is kept per caller, so a keyed request must come with a verified one. */
export const idempotencyKeyWithoutCaller = () =>
  new HttpProblem(
    400,
    'idempotency-key-without-caller',
    'Idempotency-Key needs a verified caller',
    'Idempotency-Key records are kept per caller, and this request carries no verified caller (a token with a sub or client_id claim). Send it with such a token, or without Idempotency-Key.',
    [
      {
        path: 'headers.idempotency-key',
        message: 'needs a token that names its caller (sub or client_id)',
      },
    ],
  );

/** An unexpected error (a bug) before anything was sent: nothing reached Kafka. */
export const internalError = (
  detail = 'The event was not published because of an unexpected error; it is logged.',
) => new HttpProblem(500, 'internal-error', 'Internal error', detail);

/** An unexpected error while the events were being sent: what reached Kafka is not known. */
export const internalErrorDuringSend = () =>
  internalError(
    'An unexpected error interrupted the send: the events may or may not have been written. It is logged.',
  );

/** An unexpected error after Kafka acknowledged every event: they are on the topic. */
export const internalErrorAfterPublish = () =>
  internalError(
    'Kafka acknowledged the events, but an unexpected error stopped the answer; it is logged. Retrying publishes them again.',
  );

export const idempotencyKeyInFlight = () =>
  new HttpProblem(
    409,
    'idempotency-key-in-flight',
    'Request in flight',
    'A request with this Idempotency-Key is still being processed; retry it shortly.',
    undefined,
    retryAfter,
  );

export const idempotencyKeyReused = () =>
  new HttpProblem(
    422,
    'idempotency-key-reused',
    'Idempotency-Key reused',
    'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  );

/** `cause`: the store's own error, for the logs. */
export const idempotencyStoreUnavailable = (cause?: unknown) =>
  Object.assign(
    new HttpProblem(
      503,
      'idempotency-store-unavailable',
      'Idempotency store unavailable',
      'The Idempotency-Key could not be checked; nothing was published. Retry the request.',
      undefined,
      retryAfter,
    ),
    cause === undefined ? {} : { cause },
  );

export const idempotencyUnsupported = () =>
  new HttpProblem(
    501,
    'idempotency-unsupported',
    'Idempotency-Key not supported here',
    'This deployment has no idempotency store (IDEMPOTENCY_TABLE or IDEMPOTENCY_REDIS_URL); send the request without Idempotency-Key.',
  );
