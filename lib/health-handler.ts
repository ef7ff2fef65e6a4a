/**
 * The GET /health function's wiring: configuration parsed at cold start, one broker probe per container,
 * each check bounded by the Lambda's remaining time. (lib/health.ts holds the check itself.)
 */
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { clock } from './clock.js';
import { isLongLivedProcess, loadConfig } from './config.js';
import { invocationBudgetMs } from './deadline.js';
import { checkHealth, HEALTH_TIMEOUT_MS, healthResponse } from './health.js';
import { RETRY_AFTER_SECONDS } from './http/problem.js';
import { createLogger } from './observability.js';
import { KafkaJsBrokerProbe } from './producer/kafkajs-probe.js';

export const createHealthHandler = () => {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  // One admin client per container, shared by overlapping and warm checks (see KafkaJsBrokerProbe).
  const probe = new KafkaJsBrokerProbe(config);
  const longLived = isLongLivedProcess(process.env);

  return async (_event: unknown, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const started = clock.nowMs();
    const timeoutMs = invocationBudgetMs(HEALTH_TIMEOUT_MS, context, config.publishMarginMs);
    const report = await checkHealth(probe, {
      topic: config.topic,
      timeoutMs,
      // The detail (broker addresses, Kafka's error) is for the logs only; the answer names the category.
      report: ({ category, error }) =>
        logger.warn('health check failed', {
          category,
          timeoutMs,
          durationMs: Math.round(clock.nowMs() - started),
          error: describe(error),
        }),
    });
    // A one-shot process (`serverless invoke local`) must not be kept alive by the open connection. Closing
    // takes no time: the answer is not held up by requests still in flight.
    if (!longLived) probe.close();
    return healthResponse(report, RETRY_AFTER_SECONDS);
  };
};

/** "<name>: <message>", then what caused it (kafkajs wraps the error of its last retry). */
const describe = (error: unknown): string => {
  const parts: string[] = [];
  for (let current = error; current !== undefined && parts.length < 4; ) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- ');
};
