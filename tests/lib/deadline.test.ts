import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { clock } from '../../lib/clock.js';
import { Deadline, invocationBudgetMs, withDeadline } from '../../lib/deadline.js';

class TimedOut extends Error {}

const timedOut = () => new TimedOut('too late');

/** A promise and the means to settle it from outside. */
const settleable = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('withDeadline', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("answers with the work's value when it settles in time, and leaves no timer behind", async () => {
    const work = settleable<string>();
    const raced = withDeadline(work.promise, 1_000, timedOut);
    expect(jest.getTimerCount()).toBe(1);
    work.resolve('acknowledged');
    await expect(raced).resolves.toBe('acknowledged');
    expect(jest.getTimerCount()).toBe(0);
  });

  it("passes the work's own failure on, and leaves no timer behind", async () => {
    const work = settleable<string>();
    const raced = withDeadline(work.promise, 1_000, timedOut);
    work.reject(new Error('broker refused'));
    await expect(raced).rejects.toThrow('broker refused');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with the timeout error once the time is up, although the work is still under way', async () => {
    const work = settleable<string>();
    const raced = withDeadline(work.promise, 1_000, timedOut);
    jest.advanceTimersByTime(999);
    const early = await Promise.race([raced.then(() => 'settled'), Promise.resolve('pending')]);
    expect(early).toBe('pending');
    jest.advanceTimersByTime(1);
    await expect(raced).rejects.toBeInstanceOf(TimedOut);
  });
});

describe('withDeadline, on real timers', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('takes a budget below zero as none, and never arms a timer with a negative delay (Node 24 warns of each)', async () => {
    const armed = jest.spyOn(globalThis, 'setTimeout');
    await expect(withDeadline(settleable<string>().promise, -50, timedOut)).rejects.toBeInstanceOf(
      TimedOut,
    );
    expect(armed.mock.calls.map(([, delay]) => delay)).toEqual([0]);
  });

  it('lets work that fails after the deadline fail quietly: no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const work = settleable<string>();
      await expect(withDeadline(work.promise, 0, timedOut)).rejects.toBeInstanceOf(TimedOut);
      work.reject(new Error('the abandoned send failed later'));
      // Unhandled rejections are reported after the microtasks of the turn have run: wait a full turn.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('invocationBudgetMs', () => {
  const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

  it('is the limit when Lambda has more than the limit and the margin left', () => {
    expect(invocationBudgetMs(5_000, remaining(30_000), 500)).toBe(5_000);
  });

  it('is what Lambda has left, less the margin to answer in, when that is less than the limit', () => {
    expect(invocationBudgetMs(5_000, remaining(3_000), 500)).toBe(2_500);
  });

  it('is never below zero when less time is left than the margin', () => {
    expect(invocationBudgetMs(5_000, remaining(200), 500)).toBe(0);
  });

  it('is the limit without a Lambda context (a script, a test)', () => {
    expect(invocationBudgetMs(5_000, undefined, 500)).toBe(5_000);
    expect(invocationBudgetMs(5_000, {}, 500)).toBe(5_000);
  });
});

describe('Deadline', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('shares one end among the steps after it: what one step spends, the next no longer has', () => {
    let now = 1_000;
    jest.spyOn(clock, 'nowMs').mockImplementation(() => now);
    const deadline = Deadline.after(2_000);
    expect(deadline.remainingMs()).toBe(2_000);
    now += 1_500;
    expect(deadline.remainingMs()).toBe(500);
    expect(deadline.passed).toBe(false);
    now += 500;
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.passed).toBe(true);
  });

  it('rounds what is left up, so that a fraction of a millisecond left still counts as time left', () => {
    let now = 0;
    jest.spyOn(clock, 'nowMs').mockImplementation(() => now);
    const deadline = Deadline.after(10);
    now = 9.6;
    expect(deadline.remainingMs()).toBe(1);
    expect(deadline.passed).toBe(false);
  });

  it('never reports less than nothing left, and takes a budget below zero as none', () => {
    let now = 0;
    jest.spyOn(clock, 'nowMs').mockImplementation(() => now);
    expect(Deadline.after(-100).remainingMs()).toBe(0);
    const deadline = Deadline.after(10);
    now = 50;
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.passed).toBe(true);
  });
});
