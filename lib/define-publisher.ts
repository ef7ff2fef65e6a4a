import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { EventDeclaration } from './catalog.js';
import { clock } from './clock.js';
import type { EventProducer } from './producer/event-producer.js';
import { rehearsalProducer } from './producer/kafkajs-rehearsal.js';
import {
  createPublishHandler,
  createRouteHandler,
  type PublishHandler,
  type PublishRoute,
} from './publisher.js';
import {
  REHEARSALS,
  type RehearsalRequest,
  rehearsalRequestOf,
  rehearse,
  unwrittenObserver,
} from './rehearsal.js';
import { containerDependencies, initialisedAhead, logger } from './runtime.js';

/** Every log line of the invocation carries its request id, function name and cold-start flag. */
const wiring = {
  ...containerDependencies,
  invocationMiddlewares: [injectLambdaContext(logger, { resetKeys: true })],
};

/**
 * The same handler code with nothing behind it: what a rehearsal runs (see rehearsal.ts), Powertools' Lambda
 * context included, on the rehearsal's Logger. Made only in a container that rehearses, so that no other cold
 * start pays for its Logger and Metrics.
 */
const rehearsalWiring = () => {
  const { observer, logger: unwritten } = unwrittenObserver(containerDependencies.config.logLevel);
  return {
    config: containerDependencies.config,
    producer: rehearsalProducer(containerDependencies.config),
    observer,
    invocationMiddlewares: [injectLambdaContext(unwritten, { resetKeys: true })],
  };
};

/** In a container initialised ahead of its traffic, runs the route's code before its first request. */
const rehearseIfInitialisedAhead = (
  rehearsalHandler: (wiring: ReturnType<typeof rehearsalWiring>) => PublishHandler,
  request: () => RehearsalRequest,
) => {
  if (!initialisedAhead) return;
  const started = clock.nowMs();
  let producer: EventProducer | undefined;
  // Built inside the promise: a rehearsal that cannot even be built must not stop the container from starting.
  Promise.resolve()
    .then(() => {
      const rehearsal = rehearsalWiring();
      producer = rehearsal.producer;
      return rehearse(rehearsalHandler(rehearsal), request());
    })
    // Its connections to the memory broker end with it; a disconnect that fails takes nothing from it.
    .finally(() => producer?.disconnect().catch(() => undefined))
    .then(
      (accepted) => {
        const fields = { rehearsals: accepted, rehearsalMs: Math.round(clock.nowMs() - started) };
        if (accepted === REHEARSALS)
          logger.info('rehearsed the route before its first request', fields);
        // Short of the count: an answer was not a 202, and the first request runs the rest of the code cold.
        else
          logger.warn(
            'a rehearsal of the route was not accepted; the first request runs part of it cold',
            fields,
          );
      },
      (error: unknown) =>
        logger.warn('rehearsing the route failed; the first request runs it cold', {
          errorClass: error instanceof Error ? error.name : typeof error,
        }),
    );
};

/** The Lambda handler for one order event, wired to the container's configuration, producer and logs. */
export const definePublisher = (declaration: EventDeclaration): PublishHandler => {
  rehearseIfInitialisedAhead(
    (rehearsal) => createPublishHandler(declaration, rehearsal),
    () => rehearsalRequestOf(declaration),
  );
  return createPublishHandler(declaration, wiring);
};

/** The Lambda handler for a route of its own (the batch route), wired the same way. */
export const defineRoutePublisher = <Answer extends object>(
  route: PublishRoute<Answer>,
  rehearsal?: () => RehearsalRequest,
): PublishHandler => {
  if (rehearsal)
    rehearseIfInitialisedAhead((wiring) => createRouteHandler(route, wiring), rehearsal);
  return createRouteHandler(route, wiring);
};
