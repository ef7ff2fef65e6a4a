import type { Context } from 'aws-lambda';
import { clock } from './clock.js';

/**
 * Races work against a deadline: rejects with timedOut() once timeoutMs have passed. The work may still settle
 * afterwards (a send already on the wire, a metadata request); the race has subscribed to it, so a late
 * failure is handled there and never becomes an unhandled rejection.
 */
export const withDeadline = <T>(
  work: Promise<T>,
  timeoutMs: number,
  timedOut: () => Error,
): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, timeoutMs));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};

/**
 * Time for work bounded by its own limit and by what Lambda has left, less a margin in which to answer (a 503)
 * before Lambda cuts the invocation off. Without a Lambda context (a script, a test), only the limit counts.
 */
export const invocationBudgetMs = (
  limitMs: number,
  context: Partial<Pick<Context, 'getRemainingTimeInMillis'>> | undefined,
  marginMs: number,
): number => {
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function'
      ? context.getRemainingTimeInMillis()
      : Infinity;
  return Math.max(0, Math.min(limitMs, remaining - marginMs));
};

/**
 * The one point in time by which an invocation's work must have ended, taken once when the request arrives, so
 * that every step after it (the idempotency store, the send) shares what is left instead of each starting a
 * budget of its own.
 */
export class Deadline {
  readonly #endsAt: number;

  private constructor(endsAt: number) {
    this.#endsAt = endsAt;
  }

  static after(budgetMs: number): Deadline {
    return new Deadline(clock.nowMs() + Math.max(0, budgetMs));
  }

  remainingMs(): number {
    return Math.max(0, Math.ceil(this.#endsAt - clock.nowMs()));
  }

  get passed(): boolean {
    return this.remainingMs() <= 0;
  }
}
