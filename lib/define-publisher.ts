import { createPublishHandler, createRouteHandler, type PublishHandler, type PublisherDeclaration, type PublishRoute } from './publisher.js';
import { containerDependencies } from './runtime.js';

/** The Lambda handler for one order event, wired to the container's configuration and producer. */
export const definePublisher = (declaration: PublisherDeclaration): PublishHandler =>
  createPublishHandler(declaration, containerDependencies);

/** The Lambda handler for a route of its own (the batch route), wired the same way. */
export const defineRoutePublisher = <Answer extends object>(route: PublishRoute<Answer>): PublishHandler =>
  createRouteHandler(route, containerDependencies);
