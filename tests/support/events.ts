import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Config } from '../../lib/config.js';
import { loadConfig } from '../../lib/config.js';

export const testConfig = (overrides: Record<string, string> = {}): Config =>
  loadConfig({ KAFKA_BROKERS: 'localhost:9092', ...overrides });

interface HttpRequest {
  body?: string | undefined;
  headers?: Record<string, string>;
  orderId?: string;
  isBase64Encoded?: boolean;
  routeKey?: string;
  /** The verified caller's subject, as the JWT authorizer puts it in requestContext. */
  caller?: string;
}

/** An API Gateway HTTP API (payload 2.0) event as Lambda receives it. */
export const httpEvent = ({
  body,
  headers = { 'content-type': 'application/json' },
  orderId,
  isBase64Encoded = false,
  routeKey = 'POST /orders',
  caller,
}: HttpRequest = {}): APIGatewayProxyEventV2 => {
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1] ?? '/',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      },
      requestId: 'request-1',
      routeKey,
      stage: '$default',
      time: '27/Nov/2026:12:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded,
  };
  if (body !== undefined) event.body = body;
  if (caller !== undefined)
    Object.assign(event.requestContext, {
      authorizer: { jwt: { claims: { sub: caller, scope: 'order-events/publish' }, scopes: null } },
    });
  if (orderId !== undefined) event.pathParameters = { orderId };
  return event;
};

export const jsonEvent = (body: unknown, request: Omit<HttpRequest, 'body'> = {}) =>
  httpEvent({ ...request, body: JSON.stringify(body) });

/** A Lambda context with a given amount of time left. */
export const lambdaContext = (remainingMs = 10_000): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'orderCreated',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orderCreated',
  memoryLimitInMB: '512',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/orderCreated',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export const validOrder = {
  orderId: 'order-1001',
  customerId: 'customer-7',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 9.5 }],
  total: 19,
};
