import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createPublishHandler, createRouteHandler, type PublishHandler, type PublisherDeclaration, type PublishRoute } from './publisher.js';
import { containerDependencies, logger } from './runtime.js';

/** Every log line of the invocation carries its request id, function name and cold-start flag. */
const withLambdaContext = (handler: PublishHandler): PublishHandler =>
  middy(handler).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as PublishHandler;

/** The Lambda handler for one order event, wired to the container's configuration, producer and logs. */
export const definePublisher = (declaration: PublisherDeclaration): PublishHandler =>
  withLambdaContext(createPublishHandler(declaration, containerDependencies));

/** The Lambda handler for a route of its own (the batch route), wired the same way. */
export const defineRoutePublisher = <Answer extends object>(route: PublishRoute<Answer>): PublishHandler =>
  withLambdaContext(createRouteHandler(route, containerDependencies));
