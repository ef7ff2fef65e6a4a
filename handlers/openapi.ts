import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildOpenApiDocument } from '../lib/openapi.js';

// Built once per container, on the first request: the document only changes with a deployment. This
// handler needs no configuration and no Kafka, so it answers even when neither is there.
let body: string | undefined;

/** GET /openapi.json */
export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  body ??= JSON.stringify(buildOpenApiDocument());
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body };
};
