import { describe, expect, it } from '@jest/globals';
import { atPublishStage, toHttpProblem } from '../../../lib/http/errors.js';
import { brokerUnavailable, HttpProblem, invalidRequest } from '../../../lib/http/problem.js';
import {
  BrokerUnavailableError,
  BudgetSpentError,
  PublishTimeoutError,
} from '../../../lib/producer/errors.js';

const answerOf = (error: unknown) => {
  const problem = toHttpProblem(error);
  return { status: problem.status, slug: problem.slug, detail: problem.detail };
};

describe('toHttpProblem', () => {
  it('answers a problem with itself', () => {
    const problem = invalidRequest([{ path: 'body.total', message: 'Too small' }]);
    expect(toHttpProblem(problem)).toBe(problem);
  });

  it('answers a spent budget with a 503 that says nothing was published', () => {
    expect(answerOf(new BudgetSpentError('no time left'))).toEqual({
      status: 503,
      slug: 'time-budget-spent',
      detail: expect.stringContaining('nothing was published'),
    });
  });

  it('answers a send that timed out with a 503 that leaves open whether it was written', () => {
    expect(answerOf(new PublishTimeoutError('too late'))).toEqual({
      status: 503,
      slug: 'broker-unavailable',
      detail: expect.stringContaining('may or may not have been written'),
    });
  });

  it('answers a broker that refused or could not be reached with a 503: nothing acknowledged', () => {
    expect(answerOf(new BrokerUnavailableError('down'))).toEqual({
      status: 503,
      slug: 'broker-unavailable',
      detail: expect.stringContaining('Nothing was acknowledged'),
    });
  });

  it("answers middy's own early timeout with a 503", () => {
    const timeout = Object.assign(new Error('[AbortError]: The operation was aborted.'), {
      name: 'TimeoutError',
      cause: { package: '@middy/core' },
    });
    expect(answerOf(timeout)).toMatchObject({ status: 503, slug: 'broker-unavailable' });
    // The same name from anywhere else is no timeout of middy's.
    expect(answerOf(Object.assign(new Error('x'), { name: 'TimeoutError' })).status).toBe(500);
  });

  it('answers an unexpected error before any send with a 500 that says nothing was published', () => {
    expect(answerOf(new TypeError('a bug'))).toEqual({
      status: 500,
      slug: 'internal-error',
      detail: expect.stringContaining('not published'),
    });
  });

  it('answers an unexpected error during the send with a 500 that leaves open what was written', () => {
    const answer = answerOf(atPublishStage(new TypeError('a bug'), 'sending'));
    expect(answer).toEqual({
      status: 500,
      slug: 'internal-error',
      detail: expect.stringContaining('may or may not have been written'),
    });
    expect(answer.detail).not.toContain('not published');
  });

  it('answers an unexpected error after Kafka acknowledged with a 500 that says the events are written', () => {
    const answer = answerOf(atPublishStage(new TypeError('a bug'), 'acknowledged'));
    expect(answer).toEqual({
      status: 500,
      slug: 'internal-error',
      detail: expect.stringContaining('Kafka acknowledged the events'),
    });
    expect(answer.detail).not.toContain('not published');
  });

  it('never shows the error itself to the caller', () => {
    for (const stage of ['sending', 'acknowledged'] as const) {
      const problem = toHttpProblem(atPublishStage(new Error('secret detail'), stage));
      expect(JSON.stringify(problem.toDocument())).not.toContain('secret detail');
    }
  });
});

describe('atPublishStage', () => {
  it('returns the error itself, so that the logs report it with its own class', () => {
    const error = new RangeError('a bug');
    expect(atPublishStage(error, 'sending')).toBe(error);
  });

  it('keeps the first stage noted: the innermost code knows best', () => {
    const error = atPublishStage(atPublishStage(new Error('a bug'), 'acknowledged'), 'sending');
    expect(answerOf(error).detail).toContain('Kafka acknowledged the events');
  });

  it('wraps a thrown value that is no object, keeping the value as the cause', () => {
    const thrown = atPublishStage('a string', 'sending');
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).cause).toBe('a string');
    expect(answerOf(thrown).detail).toContain('may or may not have been written');
  });

  it('changes nothing for the errors that answer for themselves', () => {
    const problem = brokerUnavailable('down');
    expect(toHttpProblem(atPublishStage(problem, 'acknowledged'))).toBe(problem);
    expect(
      answerOf(atPublishStage(new BrokerUnavailableError('down'), 'sending')).detail,
    ).toContain('Nothing was acknowledged');
    expect(problem).toBeInstanceOf(HttpProblem);
  });
});
