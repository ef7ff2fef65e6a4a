import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadConfig } from '../lib/config.js';
import { checkHealth, healthResponse } from '../lib/health.js';
import { RETRY_AFTER_SECONDS } from '../lib/http/errors.js';
import { KafkaJsBrokerProbe } from '../lib/producer/kafkajs-probe.js';

/** A health check slower than this is as good as down to whoever polls it. */
const HEALTH_TIMEOUT_MS = 3_000;

const config = loadConfig(process.env);
// One admin connection per container, reused by every warm check (see KafkaJsBrokerProbe).
const probe = new KafkaJsBrokerProbe(config);
// As in lib/runtime.ts: anywhere but Lambda and serverless-offline this is a one-shot process (`serverless
// invoke local`), which the open connection would otherwise keep alive.
const longLived = Boolean(process.env.AWS_LAMBDA_RUNTIME_API || process.env.IS_OFFLINE);
const redact = config.sasl && 'password' in config.sasl ? [config.sasl.password.reveal()] : [];

/** GET /health: 200 when Kafka answers a metadata request in time, 503 with Retry-After when it does not. */
export const handler = async (_event: unknown, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? Infinity;
  const report = await checkHealth(probe, {
    topic: config.topic,
    timeoutMs: Math.max(0, Math.min(HEALTH_TIMEOUT_MS, remaining - config.publishMarginMs)),
    redact,
    report: (error) => console.warn(`health check failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
  });
  if (!longLived) await probe.disconnect().catch(() => undefined);
  return healthResponse(report, RETRY_AFTER_SECONDS);
};
