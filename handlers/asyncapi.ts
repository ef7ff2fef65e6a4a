import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildAsyncApiDocument } from '../lib/asyncapi.js';

// Built once per container, on the first request. The topic comes from ORDER_EVENTS_TOPIC, read directly
// rather than through lib/config.ts, so that this handler answers without any Kafka configuration.
let body: string | undefined;

/** GET /asyncapi.json */
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  body ??= JSON.stringify(
    buildAsyncApiDocument({ topic: process.env.ORDER_EVENTS_TOPIC || undefined }),
  );
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body };
};
