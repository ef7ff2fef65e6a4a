import type { PublishObserver } from '../../lib/observability.js';

/** For tests about other parts than logs and metrics: only a bug (a 500) is worth a line. */
export const bugsOnlyObserver: PublishObserver = {
  published: () => undefined,
  refused: (problem, error) => {
    if (problem.status === 500) console.error('publish failed unexpectedly', error);
  },
  replayed: () => undefined,
  unconfirmed: () => undefined,
};
