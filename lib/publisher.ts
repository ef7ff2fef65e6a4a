/**
 * The one publishing path every handler shares: validate, build the events, send them, answer.
 *
 * A handler file only declares what differs (schema, eventType, where orderId comes from) and calls
 * definePublisher; the batch route declares a route of its own (see batch.ts). The same path serves two
 * kinds of caller:
 * - API Gateway HTTP API (payload v2): middy's middlewares parse the body; the answer is 202 with a receipt,
 *   or a problem+json error;
 * - direct invocation (`serverless invoke local`, the Lambda invoke API): the event is the body itself,
 *   with orderId among its fields for the routes that take it from the path; the answer is the receipt, or
 *   the problem document (status, title, errors) as a plain object.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type * as z from 'zod/mini';
import { clock } from './clock.js';
import type { Config } from './config.js';
import { Deadline, invocationBudgetMs } from './deadline.js';
import {
  buildOrderEvent,
  type EventEnvelopeSource,
  type EventType,
  type OrderEvent,
  requestDigest,
  stableEventId,
  systemEnvelopeSource,
  toKafkaRecord,
} from './events.js';
import { callerOf } from './http/caller.js';
import { atPublishStage, toHttpProblem } from './http/errors.js';
import {
  type ErrorReporter,
  jsonBodyParser,
  problemJsonResponses,
  refuseUnboundedShape,
  requestBodyGuard,
} from './http/middlewares.js';
import {
  type EventResult,
  eventsPartlyAcknowledged,
  type FieldError,
  idempotencyKeyWithoutCaller,
  idempotencyUnsupported,
  invalidRequest,
  nestedTooDeep,
  type ProblemDocument,
  payloadTooLarge,
} from './http/problem.js';
import {
  type TraceContext,
  traceContext,
  traceContextFor,
  traceContextOf,
} from './http/trace-context.js';
import type { Idempotency } from './idempotency.js';
import type { PublishContext, PublishObserver } from './observability.js';
import { BrokerError, BudgetSpentError } from './producer/errors.js';
import type { EventProducer, RecordAck } from './producer/event-producer.js';
import {
  idempotencyKeySchema,
  MAX_BODY_BYTES,
  MAX_BODY_NESTING,
  orderIdSchema,
} from './schemas.js';

export type PublisherDeclaration =
  | { eventType: EventType; orderIdFrom: 'body'; schema: z.ZodMiniType<{ orderId: string }> }
  | { eventType: EventType; orderIdFrom: 'path'; schema: z.ZodMiniType<object> };

export interface PublisherDependencies {
  config: Config;
  producer: EventProducer;
  envelope?: EventEnvelopeSource;
  /** Told of every outcome: logs and metrics in production (see observability.ts). */
  observer: PublishObserver;
  /** Idempotency-Key support; without it, a request carrying the header is refused (501). */
  idempotency?: Idempotency;
  /**
   * middy middlewares every invocation runs first, over HTTP or direct (the container's: Powertools' Lambda
   * context for the logs). Each invocation goes through one middy chain, these at its head.
   */
  invocationMiddlewares?: readonly InvocationMiddleware[];
}

/** A middleware that works on any invocation, whatever its event and answer. */
export type InvocationMiddleware = MiddlewareObj<unknown, unknown>;

export interface Receipt {
  eventId: string;
  eventType: EventType;
  topic: string;
  partition: number;
  offset: string;
}

/** What one request's publish needs besides its events. */
interface PublishRequest {
  deadline: Deadline;
  trace: TraceContext;
  /** Names the event ids of a keyed request (see stableEventId); random ids without one. */
  eventId?: (index: number) => string;
  /** For the logs: which route, which caller, which correlation id. */
  about: PublishContext;
}

/** An event that passed validation, before it has an id and a timestamp. */
export interface PendingEvent {
  eventType: EventType;
  orderId: string;
  fields: object;
}

/** Where the request's values sit, for the paths named in validation errors. */
export interface Locations {
  fields: string;
  orderId: string;
}

/** What one route does with a request: the events to publish, and the answer once they are published. */
export interface PublishRoute<Answer extends object> {
  /** Names the route's Idempotency-Key records. */
  name: string;
  /** Where a direct invocation's orderId is: among the fields ('body'), or beside them ('path'). */
  orderIdFrom: 'body' | 'path';
  /** Validates the request; throws a 400 problem naming every invalid value. */
  toEvents(fields: unknown, pathOrderId: unknown, where: Locations): PendingEvent[];
  answer(receipts: Receipt[]): Answer;
}

export type PublishHandler = (
  event: APIGatewayProxyEventV2 | Record<string, unknown>,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | object>;

const httpLocations: Locations = { fields: 'body', orderId: 'pathParameters.orderId' };
const directLocations: Locations = { fields: '', orderId: 'orderId' };

export const createPublishHandler = (
  declaration: PublisherDeclaration,
  dependencies: PublisherDependencies,
): PublishHandler => createRouteHandler(singleEventRoute(declaration), dependencies);

export const createRouteHandler = <Answer extends object>(
  route: PublishRoute<Answer>,
  dependencies: PublisherDependencies,
): PublishHandler => {
  const {
    config,
    producer,
    envelope = systemEnvelopeSource,
    observer,
    idempotency,
    invocationMiddlewares = [],
  } = dependencies;
  /** For the logs: the route, and the correlation id and caller an HTTP request came with. */
  const aboutOf = (
    event: APIGatewayProxyEventV2,
    trace = traceContextFor(event),
  ): PublishContext => ({
    route: route.name,
    correlationId: trace.correlationId,
    caller: callerOf(event).subject,
  });
  const report: ErrorReporter = (error, problem, event) =>
    observer.refused(problem, error, aboutOf(event));

  /** Sends the validated events and answers with their receipts; everything ends by `deadline`. */
  const publish = async (
    pending: readonly PendingEvent[],
    request: PublishRequest,
  ): Promise<Answer> => {
    const events = pending.map(({ eventType, orderId, fields }, index) =>
      buildOrderEvent(eventType, orderId, fields, envelope, request.eventId?.(index)),
    );
    const records = events.map((event) =>
      toKafkaRecord(event, config.topic, config.eventSource, request.trace),
    );
    const started = clock.nowMs();
    const withReceipt = (ack: RecordAck, i: number) => {
      const { eventId, eventType, orderId } = events[i] as OrderEvent;
      return { ...ack, eventId, eventType, orderId };
    };
    let acks: RecordAck[];
    try {
      // Whatever held the invocation up (the idempotency store, a slow parse), the producer starts no send
      // without time left (EventProducer's contract).
      acks = await producer.send(records, { timeoutMs: request.deadline.remainingMs() });
    } catch (error) {
      // A producer fails with a BrokerError that says what was acknowledged; anything else leaves it unknown.
      if (!(error instanceof BrokerError)) throw atPublishStage(error, 'sending');
      if (error.acknowledgedCount === 0) throw error;
      // Part of the request is on the topic: say which part, and let the logs count it as published.
      const written = error.acknowledged.flatMap((ack, i) => (ack ? [withReceipt(ack, i)] : []));
      try {
        observer.published(written, clock.nowMs() - started, request.about);
      } catch (unexpected) {
        throw atPublishStage(unexpected, 'sending');
      }
      const results = eventResults(events, error.acknowledged);
      const keyed = request.eventId !== undefined;
      throw Object.assign(eventsPartlyAcknowledged(results, keyed), { cause: error });
    }
    const latencyMs = clock.nowMs() - started;
    if (acks.length !== events.length)
      throw atPublishStage(
        new Error(`The producer acknowledged ${acks.length} of ${events.length} records`),
        'sending',
      );
    try {
      const published = acks.map(withReceipt);
      observer.published(published, latencyMs, request.about);
      return route.answer(published.map(({ orderId: _, ...receipt }) => receipt));
    } catch (error) {
      // Kafka has acknowledged the send: whatever fails now, the answer must not say nothing was published.
      throw atPublishStage(error, 'acknowledged');
    }
  };

  /** Publishes once per caller and Idempotency-Key, under event ids that a retry derives again. */
  const publishKeyed = async (
    pending: readonly PendingEvent[],
    key: string,
    caller: string,
    request: PublishRequest,
    context: Context,
  ): Promise<Answer> => {
    if (!idempotency) throw idempotencyUnsupported();
    // Out of time on arrival: the answer a request without a key gets, before the store is asked anything.
    if (request.deadline.passed)
      throw new BudgetSpentError('The time left for the send was spent before it began');
    const digest = requestDigest(pending);
    const eventId = (index: number) =>
      stableEventId({ caller, route: route.name, key, request: digest, index });
    let published = false;
    const answer = await idempotency.run(
      route.name,
      { caller, key, request: pending },
      () => {
        published = true;
        return publish(pending, { ...request, eventId });
      },
      {
        context,
        deadline: request.deadline,
        graceMs: Math.floor(config.publishMarginMs / 2),
        unconfirmed: (error, outcome) =>
          observer.unconfirmed(
            route.name,
            pending.map((_, index) => eventId(index)),
            error,
            outcome,
          ),
      },
    );
    // The store answered with the first request's receipt: this request's own log line says so.
    if (!published) observer.replayed(request.about);
    return answer;
  };

  const deadlineOf = (context: Context) =>
    Deadline.after(invocationBudgetMs(config.publishTimeoutMs, context, config.publishMarginMs));

  const http = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use([...invocationMiddlewares])
    .use(traceContext())
    .use(problemJsonResponses({ report }))
    .use(httpHeaderNormalizer())
    .use(requestBodyGuard({ maxBytes: MAX_BODY_BYTES, maxNesting: MAX_BODY_NESTING }))
    .use(jsonBodyParser())
    .handler(async (event, context) => {
      const deadline = deadlineOf(context);
      const key = event.headers?.['idempotency-key'];
      const parsedKey = key === undefined ? undefined : idempotencyKeySchema.safeParse(key);
      if (parsedKey && !parsedKey.success)
        throw invalidRequest(toFieldErrors(parsedKey.error.issues, 'headers.idempotency-key'));
      // jsonBodyParser has replaced the body text with the parsed value. Validated before anything else
      // (the idempotency store included) sees it.
      const pending = route.toEvents(
        event.body as unknown,
        event.pathParameters?.orderId,
        httpLocations,
      );
      const trace = traceContextFor(event);
      const about = aboutOf(event, trace);
      const request: PublishRequest = { deadline, trace, about };
      let answer: Answer;
      if (parsedKey === undefined) answer = await publish(pending, request);
      else {
        if (!idempotency) throw idempotencyUnsupported();
        if (about.caller === undefined) throw idempotencyKeyWithoutCaller();
        answer = await publishKeyed(pending, parsedKey.data, about.caller, request, context);
      }
      return {
        statusCode: 202,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(answer),
      };
    });

  const publishDirect = async (
    event: Record<string, unknown>,
    context: Context,
  ): Promise<Answer | ProblemDocument> => {
    const trace = traceContextOf(undefined);
    const about = { route: route.name, correlationId: trace.correlationId };
    try {
      const deadline = deadlineOf(context);
      // The bounds an HTTP body meets before validation, on the event as JSON (Lambda parsed it already).
      let text: string;
      try {
        text = JSON.stringify(event) ?? '';
      } catch {
        throw nestedTooDeep(MAX_BODY_NESTING);
      }
      const size = Buffer.byteLength(text);
      if (size > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES, size);
      refuseUnboundedShape(text, MAX_BODY_NESTING);
      const pending =
        route.orderIdFrom === 'path' && isObject(event)
          ? (({ orderId, ...fields }) => route.toEvents(fields, orderId, directLocations))(event)
          : route.toEvents(event, undefined, directLocations);
      return await publish(pending, { deadline, trace, about });
    } catch (error) {
      const problem = toHttpProblem(error);
      observer.refused(problem, error, about);
      return problem.toDocument();
    }
  };

  // Direct invocations answer every error themselves (above) and are bounded by the publish budget, so their
  // chain needs no early timeout of middy's; the HTTP chain keeps it (mapped to a 503 by toHttpProblem).
  const direct = middy(publishDirect, { timeoutEarlyInMillis: 0 }).use([...invocationMiddlewares]);

  return (event, context) => (isHttpEvent(event) ? http(event, context) : direct(event, context));
};

/** The route of one event type: one event per request, answered with its receipt. */
export const singleEventRoute = (declaration: PublisherDeclaration): PublishRoute<Receipt> => ({
  name: declaration.eventType,
  orderIdFrom: declaration.orderIdFrom,
  toEvents: (fields, pathOrderId, where) => {
    const { orderId, values } = validate(declaration, fields, pathOrderId, where);
    return [{ eventType: declaration.eventType, orderId, fields: values }];
  },
  answer: ([receipt]) => {
    if (!receipt) throw new Error('A single event was published without a receipt');
    return receipt;
  },
});

const validate = (
  declaration: PublisherDeclaration,
  fields: unknown,
  pathOrderId: unknown,
  where: Locations,
) => {
  const errors: FieldError[] = [];
  let orderId: string | undefined;
  if (declaration.orderIdFrom === 'path') {
    const parsedId = orderIdSchema.safeParse(pathOrderId);
    if (parsedId.success) orderId = parsedId.data;
    else errors.push(...toFieldErrors(parsedId.error.issues, where.orderId));
  }
  const parsed = declaration.schema.safeParse(fields);
  if (!parsed.success) errors.push(...toFieldErrors(parsed.error.issues, where.fields));
  if (errors.length > 0 || !parsed.success) throw invalidRequest(errors);
  const values = parsed.data;
  if (declaration.orderIdFrom === 'body') orderId = (values as { orderId: string }).orderId;
  return { orderId: orderId as string, values };
};

export const toFieldErrors = (issues: readonly z.core.$ZodIssue[], root: string): FieldError[] =>
  issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].filter((part) => part !== '').join('.') || 'body',
    message: issue.message,
  }));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isHttpEvent = (event: unknown): event is APIGatewayProxyEventV2 =>
  isObject(event) &&
  isObject(event.requestContext) &&
  ('routeKey' in event || 'rawPath' in event || 'httpMethod' in event);

/** Each event's outcome, in request order, for a request the broker acknowledged only in part. */
const eventResults = (
  events: readonly OrderEvent[],
  acknowledged: readonly (RecordAck | undefined)[],
): EventResult[] =>
  events.map(({ eventId }, i) => {
    const ack = acknowledged[i];
    return ack
      ? { eventId, status: 'acknowledged', partition: ack.partition, offset: ack.offset }
      : { eventId, status: 'not-acknowledged' };
  });
