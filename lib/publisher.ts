/**
 * The one publishing path every handler shares: validate, build the event, send it, answer.
 *
 * A handler file only declares what differs (schema, eventType, where orderId comes from) and calls
 * definePublisher. The same path serves two kinds of caller:
 * - API Gateway HTTP API (payload v2): middy's middlewares parse the body; the answer is 202 with a receipt,
 *   or a problem+json error;
 * - direct invocation (`serverless invoke local`, the Lambda invoke API): the event is the body itself,
 *   with orderId among its fields for the routes that take it from the path; the answer is the receipt, or
 *   the problem document (status, title, errors) as a plain object.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { Config } from './config.js';
import { buildOrderEvent, systemEnvelopeSource, toKafkaRecord, type EventEnvelopeSource, type EventType } from './events.js';
import { toHttpProblem } from './http/errors.js';
import { problemJsonResponses, requestBodyGuard, type ErrorReporter } from './http/middlewares.js';
import { invalidRequest, type FieldError, type ProblemDocument } from './http/problem.js';
import type { EventProducer } from './producer/event-producer.js';
import { orderIdSchema } from './schemas.js';

export const MAX_BODY_BYTES = 256 * 1024;

export type PublisherDeclaration =
  | { eventType: EventType; orderIdFrom: 'body'; schema: z.ZodMiniType<{ orderId: string }> }
  | { eventType: EventType; orderIdFrom: 'path'; schema: z.ZodMiniType<object> };

export interface PublisherDependencies {
  config: Config;
  producer: EventProducer;
  envelope?: EventEnvelopeSource;
  report?: ErrorReporter;
}

export interface Receipt {
  eventId: string;
  eventType: EventType;
  topic: string;
  partition: number;
  offset: string;
}

export type PublishHandler = (
  event: APIGatewayProxyEventV2 | Record<string, unknown>,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | Receipt | ProblemDocument>;

/** Where the request's values sit, for the paths named in validation errors. */
interface Locations {
  fields: string;
  orderId: string;
}

const httpLocations: Locations = { fields: 'body', orderId: 'pathParameters.orderId' };
const directLocations: Locations = { fields: '', orderId: 'orderId' };

/** A broker failure is expected weather: one line. Anything else is a bug: the whole error, stack included. */
const reportToConsole: ErrorReporter = (error, problem) => {
  if (problem.status === 500) console.error('publish failed unexpectedly', error);
  else console.warn(`publish failed: ${problem.status} ${problem.slug}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
};

export const createPublishHandler = (declaration: PublisherDeclaration, dependencies: PublisherDependencies): PublishHandler => {
  const { config, producer, envelope = systemEnvelopeSource, report = reportToConsole } = dependencies;

  const publish = async (fields: unknown, pathOrderId: unknown, where: Locations, context: Context): Promise<Receipt> => {
    const { orderId, values } = validate(declaration, fields, pathOrderId, where);
    const event = buildOrderEvent(declaration.eventType, orderId, values, envelope);
    const [ack] = await producer.send([toKafkaRecord(event, config.topic, config.eventSource)], {
      timeoutMs: publishBudgetMs(config, context),
    });
    if (!ack) throw new Error('The producer returned no acknowledgement');
    return { eventId: event.eventId, eventType: event.eventType, topic: ack.topic, partition: ack.partition, offset: ack.offset };
  };

  const http = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(problemJsonResponses({ report }))
    .use(httpHeaderNormalizer())
    .use(requestBodyGuard({ maxBytes: MAX_BODY_BYTES }))
    .use(httpJsonBodyParser())
    .handler(async (event, context) => {
      // http-json-body-parser has replaced the body text with the parsed value.
      const body: unknown = event.body;
      const receipt = await publish(body, event.pathParameters?.orderId, httpLocations, context);
      return { statusCode: 202, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(receipt) };
    });

  const direct = async (event: Record<string, unknown>, context: Context): Promise<Receipt | ProblemDocument> => {
    try {
      if (declaration.orderIdFrom === 'path' && isObject(event)) {
        const { orderId, ...fields } = event;
        return await publish(fields, orderId, directLocations, context);
      }
      return await publish(event, undefined, directLocations, context);
    } catch (error) {
      const problem = toHttpProblem(error);
      if (problem.status >= 500) report(error, problem);
      return problem.toDocument();
    }
  };

  return (event, context) => (isHttpEvent(event) ? http(event, context) : direct(event, context));
};

const validate = (declaration: PublisherDeclaration, fields: unknown, pathOrderId: unknown, where: Locations) => {
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

const toFieldErrors = (issues: readonly z.core.$ZodIssue[], root: string): FieldError[] =>
  issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].filter((part) => part !== '').join('.') || 'body',
    message: issue.message,
  }));

/** Time for the Kafka work: what Lambda has left, less a margin to answer 503 before Lambda cuts us off. */
const publishBudgetMs = (config: Config, context: Context): number => {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Infinity;
  return Math.max(0, Math.min(config.publishTimeoutMs, remaining - config.publishMarginMs));
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isHttpEvent = (event: unknown): event is APIGatewayProxyEventV2 =>
  isObject(event) && isObject(event.requestContext) && ('routeKey' in event || 'rawPath' in event || 'httpMethod' in event);
