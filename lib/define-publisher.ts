import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createPublishHandler, createRouteHandler, type PublishHandler, type PublisherDeclaration, type PublishRoute } from './publisher.js';
import { containerDependencies, logger } from './runtime.js';

/**
 * Every log line of the invocation carries its request id, function name and cold-start flag.
 * This outer layer turns middy's early timeout off: the HTTP chain inside (lib/publisher.ts) keeps its own,
 * mapped to a 503, and a second timer racing the same deadline would only cost every call a setTimeout and a
 * Promise.race. Direct invocations are bounded by the publish budget (withDeadline in the producer).
 */
const withLambdaContext = (handler: PublishHandler): PublishHandler =>
  middy(handler, { timeoutEarlyInMillis: 0 }).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as PublishHandler;

/** The Lambda handler for one order event, wired to the container's configuration, producer and logs. */
export const definePublisher = (declaration: PublisherDeclaration): PublishHandler =>
  withLambdaContext(createPublishHandler(declaration, containerDependencies));

/** The Lambda handler for a route of its own (the batch route), wired the same way. */
export const defineRoutePublisher = <Answer extends object>(route: PublishRoute<Answer>): PublishHandler =>
  withLambdaContext(createRouteHandler(route, containerDependencies));
