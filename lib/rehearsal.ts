/**
 * A container Lambda initialises ahead of its traffic (provisioned concurrency) has time before its first
 * request, and V8 runs code it has not seen in its interpreter, many times slower than the optimised code of
 * a warm container. Rehearsing runs a route's own code on the catalog's example, as a request would (the
 * middy chain with Powertools' Lambda context, parsing, validation, the event and its record, the answer), so
 * that it is compiled and optimised before the first request. The rehearsal handler is made with the
 * container's producer class on a kafkajs client whose connections go to a broker inside the process
 * (producer/kafkajs-rehearsal.ts: kafkajs's whole send runs, nothing leaves the process) and an observer whose
 * Logger and Metrics, of the container's classes, build each log line and EMF document and write none: nothing
 * reaches Kafka, the logs or the metrics, and no store is touched (no Idempotency-Key). The same classes
 * matter: code V8 optimised for one class of object is thrown away, inside the request, when an object of
 * another class reaches it.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { catalogEntry, type EventDeclaration, eventTypes, functionRoutes } from './catalog.js';
import type { Config } from './config.js';
import {
  createLogger,
  createMetrics,
  type PublishObserver,
  powertoolsObserver,
  type ServiceLogger,
  type ServiceMetrics,
} from './observability.js';
import type { PublishHandler } from './publisher.js';

/**
 * The container's observer (lib/observability.ts) on a Logger and Metrics of the container's classes that drop
 * what they log: a rehearsal runs Powertools' code for its log line and EMF document, so that the first request
 * does not run it cold, and writes nothing (a rehearsal's "published" line or EventsPublished count would be
 * false).
 */
export const unwrittenObserver = (
  logLevel: Config['logLevel'],
): { observer: PublishObserver; logger: ServiceLogger; metrics: ServiceMetrics } => {
  const logger = createLogger(logLevel, true);
  const metrics = createMetrics(true);
  return { observer: powertoolsObserver(logger, metrics), logger, metrics };
};

/** How many times a rehearsal runs the route: enough for V8 to optimise what every request runs. */
export const REHEARSALS = 300;

export interface RehearsalRequest {
  method: string;
  /** The route's path with its {orderId} filled in. */
  path: string;
  pathParameters?: Record<string, string>;
  body: unknown;
}

const REHEARSAL = 'rehearsal';

/**
 * The request as a publishing function gets it: API Gateway's HTTP API (payload 2.0) passes on the client's
 * headers and adds its own (names in lower case, in order), with the claims its JWT authorizer verified, and
 * Lambda's runtime hands the handler the event parsed from JSON (no member left undefined). V8 optimises the
 * route's code for the hidden classes of the objects it meets, and throws that code away, inside the first
 * request, when an object of another class arrives: another set of headers, a claim more or less. Every other
 * rehearsal comes without a traceparent header, as requests from callers that trace nothing do.
 */
export const rehearsalEvent = (
  { method, path, pathParameters, body }: RehearsalRequest,
  traced = true,
): APIGatewayProxyEventV2 => {
  const text = JSON.stringify(body);
  const routeKey = `${method} ${path}`;
  const event = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    // Their names and the shapes they make matter here; what only API Gateway reads holds a placeholder.
    headers: {
      accept: '*/*',
      authorization: REHEARSAL,
      'content-length': String(Buffer.byteLength(text)),
      'content-type': 'application/json',
      host: REHEARSAL,
      ...(traced ? { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } : {}),
      'user-agent': REHEARSAL,
      'x-amzn-trace-id': REHEARSAL,
      'x-forwarded-for': REHEARSAL,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: REHEARSAL,
      apiId: REHEARSAL,
      authorizer: { jwt: { claims: { sub: REHEARSAL }, scopes: [] } },
      domainName: REHEARSAL,
      domainPrefix: REHEARSAL,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: REHEARSAL, userAgent: REHEARSAL },
      requestId: REHEARSAL,
      routeKey,
      stage: '$default',
      time: REHEARSAL,
      timeEpoch: Date.now(),
    },
    body: text,
    pathParameters,
    isBase64Encoded: false,
  };
  // Through JSON: an absent pathParameters is left out, as API Gateway leaves it out.
  return JSON.parse(JSON.stringify(event)) as APIGatewayProxyEventV2;
};

const REHEARSAL_ORDER_ID = 'o-rehearsal';

/** A request of the event type's route, with the catalog's example as its body. */
export const rehearsalRequestOf = ({
  route,
  example,
  orderIdFrom,
}: EventDeclaration): RehearsalRequest => ({
  method: route.method,
  path: route.path.replace('{orderId}', REHEARSAL_ORDER_ID),
  ...(orderIdFrom === 'path' ? { pathParameters: { orderId: REHEARSAL_ORDER_ID } } : {}),
  body: example,
});

/** A batch of one event of each type, each the catalog's example, on the route of handlers/<handlerFile>. */
export const batchRehearsalRequest = (handlerFile: string): RehearsalRequest => {
  const route = functionRoutes().find((candidate) => candidate.handlerFile === handlerFile);
  if (!route) throw new Error(`The catalog has no route for handlers/${handlerFile}`);
  return {
    method: route.method,
    path: route.path,
    body: {
      events: eventTypes.map((eventType) => ({
        eventType,
        orderId: REHEARSAL_ORDER_ID,
        ...catalogEntry(eventType).example,
      })),
    },
  };
};

const rehearsalContext = (): Context => {
  const refuse = () => {
    throw new Error('a rehearsal has no Lambda callbacks');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: REHEARSAL,
    functionVersion: '$LATEST',
    invokedFunctionArn: REHEARSAL,
    memoryLimitInMB: '0',
    awsRequestId: REHEARSAL,
    logGroupName: REHEARSAL,
    logStreamName: REHEARSAL,
    getRemainingTimeInMillis: () => 10_000,
    done: refuse,
    fail: refuse,
    succeed: refuse,
  };
};

/**
 * Runs the handler up to `times` times on the request, and stops at the first answer that is not a 202 (the
 * example no longer passes the route's validation, which tests/lib/rehearsal.test.ts refuses, or the rehearsal's
 * producer failed): the rest would fail alike. Resolves with how many answers were 202.
 */
export const rehearse = async (
  handler: PublishHandler,
  request: RehearsalRequest,
  times = REHEARSALS,
): Promise<number> => {
  let accepted = 0;
  while (accepted < times) {
    const answer = await handler(rehearsalEvent(request, accepted % 2 === 0), rehearsalContext());
    if ((answer as { statusCode?: number }).statusCode !== 202) break;
    accepted++;
  }
  return accepted;
};
