import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  createPublishHandler,
  createRouteHandler,
  type PublisherDeclaration,
  type PublishHandler,
  type PublishRoute,
} from './publisher.js';
import { containerDependencies, logger } from './runtime.js';

/** Every log line of the invocation carries its request id, function name and cold-start flag. */
const wiring = {
  ...containerDependencies,
  invocationMiddlewares: [injectLambdaContext(logger, { resetKeys: true })],
};

/** The Lambda handler for one order event, wired to the container's configuration, producer and logs. */
export const definePublisher = (declaration: PublisherDeclaration): PublishHandler =>
  createPublishHandler(declaration, wiring);

/** The Lambda handler for a route of its own (the batch route), wired the same way. */
export const defineRoutePublisher = <Answer extends object>(
  route: PublishRoute<Answer>,
): PublishHandler => createRouteHandler(route, wiring);
