// What every section sends: the same order-created bodies (64 order ids, so the records spread over the
// topic's partitions the same way in every section), wrapped as API Gateway HTTP API (payload 2.0) events
// with a Lambda context for direct invocations.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export const ORDER_IDS = 64;

/** A UUID-shaped id for request ids. Math.random, not node:crypto: the cold-start child must not load for the
 * handler what the handler would otherwise have to load itself. */
export const requestId = (): string => {
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
};

// A type, not an interface: lib/events.ts's OrderEvent takes it as a Record<string, unknown>.
export type OrderCreatedBody = {
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
  total: number;
  currency: string;
};

export const orderBody = (i: number): OrderCreatedBody => ({
  orderId: `bench-order-${i % ORDER_IDS}`,
  customerId: 'customer-7',
  items: [
    { sku: 'SKU-1001', quantity: 2, unitPrice: 9.5 },
    { sku: 'SKU-2002', quantity: 1, unitPrice: 24.99 },
  ],
  total: 43.99,
  currency: 'EUR',
});

/** The caller every request comes from, as the JWT authorizer verified it. */
const BENCH_CALLER = 'bench-caller';

/**
 * An HTTP API (payload 2.0) event as a publishing function gets it in production for POST /orders: the headers
 * API Gateway passes on and adds (names in lower case, in order), the bearer token the route's JWT authorizer
 * verified and its claims, parsed from JSON as Lambda's runtime hands it over. A container's rehearsal
 * (lib/rehearsal.ts) sends requests of the same shapes.
 */
export const apiGatewayV2Event = (body: string): APIGatewayProxyEventV2 => {
  const now = Date.now();
  const event = {
    version: '2.0',
    routeKey: 'POST /orders',
    rawPath: '/orders',
    rawQueryString: '',
    headers: {
      accept: '*/*',
      authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.bench.signature',
      'content-length': String(Buffer.byteLength(body)),
      'content-type': 'application/json',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'order-events-bench',
      'x-amzn-trace-id': `Root=1-${Math.floor(now / 1000).toString(16)}-${requestId().replace(/-/g, '').slice(0, 24)}`,
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: { jwt: { claims: { sub: BENCH_CALLER }, scopes: ['order-events/publish'] } },
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/orders',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'order-events-bench',
      },
      requestId: requestId(),
      routeKey: 'POST /orders',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
  return JSON.parse(JSON.stringify(event)) as APIGatewayProxyEventV2;
};

/** A Lambda context whose remaining time counts down from the function's timeout, as Lambda's does. */
export const lambdaContext = (functionName: string, timeoutMs = 10_000): Context => {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('not supported in the bench');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
};
