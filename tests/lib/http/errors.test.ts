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

  it.each([
    [
      'a spent budget',
      new BudgetSpentError('no time left'),
      'time-budget-spent',
      'nothing was published',
    ],
    [
      'a send that timed out',
      new PublishTimeoutError('too late'),
      'broker-unavailable',
      'may or may not have been written',
    ],
    [
      'a broker that refused or could not be reached',
      new BrokerUnavailableError('down'),
      'broker-unavailable',
      'Nothing was acknowledged, but it may have been written',
    ],
  ])('answers %s with a 503 that says what is known', (_what, error, slug, known) => {
    expect(answerOf(error)).toEqual({ status: 503, slug, detail: expect.stringContaining(known) });
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

  it.each([
    ['before any send: nothing was published', new TypeError('a bug'), 'not published'],
    [
      'during the send: what was written is not known',
      atPublishStage(new TypeError('a bug'), 'sending'),
      'may or may not have been written',
    ],
    [
      'after Kafka acknowledged: the events are written',
      atPublishStage(new TypeError('a bug'), 'acknowledged'),
      'Kafka acknowledged the events',
    ],
  ])('answers an unexpected error %s, as a 500', (_when, error, known) => {
    expect(answerOf(error)).toEqual({
      status: 500,
      slug: 'internal-error',
      detail: expect.stringContaining(known),
    });
  });

  it('says "not published" for no error noted as sent or acknowledged', () => {
    for (const stage of ['sending', 'acknowledged'] as const)
      expect(answerOf(atPublishStage(new Error('a bug'), stage)).detail).not.toContain(
        'not published',
      );
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
    ).toContain('Nothing was acknowledged, but it may have been written');
    expect(problem).toBeInstanceOf(HttpProblem);
  });
});
