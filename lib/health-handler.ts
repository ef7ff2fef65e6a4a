/**
 * The GET /health function's wiring: configuration parsed at cold start, one broker probe per container,
 * each check bounded by the Lambda's remaining time. (lib/health.ts holds the check itself.)
 */
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { isLongLivedProcess, loadConfig } from './config.js';
import { invocationBudgetMs } from './deadline.js';
import { checkHealth, healthResponse } from './health.js';
import { RETRY_AFTER_SECONDS } from './http/problem.js';
import { KafkaJsBrokerProbe } from './producer/kafkajs-probe.js';

/** A health check slower than this is as good as down to whoever polls it. */
const HEALTH_TIMEOUT_MS = 3_000;

export const createHealthHandler = () => {
  const config = loadConfig(process.env);
  // One admin connection per container, reused by every warm check (see KafkaJsBrokerProbe).
  const probe = new KafkaJsBrokerProbe(config);
  const longLived = isLongLivedProcess(process.env);
  const redact = config.sasl && 'password' in config.sasl ? [config.sasl.password.reveal()] : [];

  return async (_event: unknown, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const report = await checkHealth(probe, {
      topic: config.topic,
      timeoutMs: invocationBudgetMs(HEALTH_TIMEOUT_MS, context, config.publishMarginMs),
      redact,
      report: (error) =>
        console.warn(
          `health check failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        ),
    });
    // A one-shot process (`serverless invoke local`) must not be kept alive by the open connection.
    if (!longLived) await probe.disconnect().catch(() => undefined);
    return healthResponse(report, RETRY_AFTER_SECONDS);
  };
};
