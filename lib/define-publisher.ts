import { createPublishHandler, type PublishHandler, type PublisherDeclaration } from './publisher.js';
import { containerDependencies } from './runtime.js';

/** The Lambda handler for one order event, wired to the container's configuration and producer. */
export const definePublisher = (declaration: PublisherDeclaration): PublishHandler =>
  createPublishHandler(declaration, containerDependencies);
