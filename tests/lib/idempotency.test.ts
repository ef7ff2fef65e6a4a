import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from '@aws-lambda-powertools/idempotency';
import {
  BasePersistenceLayer,
  type IdempotencyRecord,
} from '@aws-lambda-powertools/idempotency/persistence';
import { describe, expect, it } from '@jest/globals';
import { Deadline } from '../../lib/deadline.js';
import { HttpProblem } from '../../lib/http/problem.js';
import { createIdempotency, type KeyedRequest } from '../../lib/idempotency.js';
import { lambdaContext } from '../support/events.js';

/** Idempotency records in memory, with a store that can be made to hang or to refuse writes. */
class MemoryStore extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();
  /** While set, every write of an in-progress record waits for it. */
  putGate: Promise<void> | undefined;
  refuseUpdates = false;
  refuseDeletes = false;
  /**
   * The next write of an in-progress record collides with a record that its own request frees before this one
   * reads it (as a store that does not return the record it collided with, Redis or dynalite, lets happen).
   */
  freedOnCollision = false;

  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    await this.putGate;
    if (this.freedOnCollision) {
      this.freedOnCollision = false;
      throw new IdempotencyItemAlreadyExistsError('exists');
    }
    const existing = this.records.get(record.idempotencyKey);
    if (existing && !existing.isExpired())
      throw new IdempotencyItemAlreadyExistsError('exists', existing);
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    if (this.refuseUpdates) throw new Error('the store refused the write');
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    if (this.refuseDeletes) throw new Error('the store refused the delete');
    this.records.delete(record.idempotencyKey);
  }
}

const setUp = () => {
  const store = new MemoryStore();
  const idempotency = createIdempotency({ expiresAfterSeconds: 60 }, async () => store);
  const unconfirmed: { error: unknown; outcome: 'published' | 'failed' }[] = [];
  let publishes = 0;
  let publishTakesMs = 0;
  const run = (request: KeyedRequest, deadlineMs = 1_000) =>
    idempotency.run(
      'order-created',
      request,
      async () => {
        publishes += 1;
        if (publishTakesMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, publishTakesMs));
          throw new Error('the broker did not answer in time');
        }
        return { eventId: `event-${publishes}` };
      },
      {
        context: lambdaContext(),
        deadline: Deadline.after(deadlineMs),
        graceMs: 50,
        unconfirmed: (error, outcome) => unconfirmed.push({ error, outcome }),
      },
    );
  return {
    store,
    run,
    unconfirmed,
    publishes: () => publishes,
    publishTimesOut: (ms: number) => {
      publishTakesMs = ms;
    },
  };
};

const request = (overrides: Partial<KeyedRequest> = {}): KeyedRequest => ({
  caller: 'caller-a',
  key: 'key-1',
  request: { orderId: 'o-1' },
  ...overrides,
});

const problemOf = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  return error as HttpProblem;
};

describe('createIdempotency', () => {
  it('publishes once per caller and key and answers a retry with the stored answer', async () => {
    const { run, publishes } = setUp();
    const first = await run(request());
    const retry = await run(request());
    expect(retry).toEqual(first);
    expect(publishes()).toBe(1);
  });

  it('keeps two callers with the same key apart', async () => {
    const { run, publishes } = setUp();
    const fromA = await run(request());
    const fromB = await run(request({ caller: 'caller-b' }));
    expect(fromB).not.toEqual(fromA);
    expect(publishes()).toBe(2);
  });

  it('answers 422 to the same caller reusing a key for another request', async () => {
    const { run } = setUp();
    await run(request());
    const problem = await problemOf(run(request({ request: { orderId: 'o-2' } })));
    expect(problem).toMatchObject({ status: 422, slug: 'idempotency-key-reused' });
  });

  it('answers 409 when the record a request collided with was freed before it was read, and the retry publishes', async () => {
    const { store, run, publishes } = setUp();
    store.freedOnCollision = true;
    const problem = await problemOf(run(request()));
    expect(problem).toMatchObject({ status: 409, slug: 'idempotency-key-in-flight' });
    expect(publishes()).toBe(0);
    await expect(run(request())).resolves.toEqual({ eventId: 'event-1' });
    expect(publishes()).toBe(1);
  });

  it('answers 503 by the deadline when the store hangs, and never publishes once it answers', async () => {
    const { store, run, publishes } = setUp();
    let release: () => void = () => undefined;
    store.putGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const problem = await problemOf(run(request(), 40));
    expect(problem).toMatchObject({ status: 503, slug: 'idempotency-store-unavailable' });
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(publishes()).toBe(0);
  });

  it('answers with the receipt when the store fails after the publish, and says so to the observer', async () => {
    const { store, run, unconfirmed, publishes } = setUp();
    store.refuseUpdates = true;
    const answer = await run(request());
    expect(answer).toEqual({ eventId: 'event-1' });
    expect(publishes()).toBe(1);
    expect(unconfirmed).toEqual([{ error: expect.any(Error), outcome: 'published' }]);
  });

  it('answers a failed publish with its own error when the store then fails to free the key', async () => {
    // The store's failure would answer "nothing was published": untrue once the send has begun.
    const { store, run, unconfirmed, publishes, publishTimesOut } = setUp();
    store.refuseDeletes = true;
    publishTimesOut(10);
    const error = await run(request()).catch((thrown: unknown) => thrown);
    expect(error).not.toBeInstanceOf(HttpProblem);
    expect(error).toMatchObject({ message: 'the broker did not answer in time' });
    expect(publishes()).toBe(1);
    // The key stays in progress: said to the observer, with the store's own error.
    expect(unconfirmed).toEqual([
      {
        error: expect.objectContaining({
          name: 'IdempotencyPersistenceLayerError',
          cause: expect.objectContaining({ message: 'the store refused the delete' }),
        }),
        outcome: 'failed',
      },
    ]);
  });

  it('tells the observer nothing when a failed publish frees its key', async () => {
    const { run, unconfirmed, publishTimesOut } = setUp();
    publishTimesOut(10);
    await expect(run(request())).rejects.toThrow(/did not answer in time/);
    expect(unconfirmed).toEqual([]);
  });

  it('frees the key of a publish that used its whole budget, so that the retry publishes instead of getting 409', async () => {
    const { run, publishes, publishTimesOut } = setUp();
    publishTimesOut(40);
    await expect(run(request(), 40)).rejects.toThrow(/did not answer in time/);
    publishTimesOut(0);
    await expect(run(request())).resolves.toEqual({ eventId: 'event-2' });
    expect(publishes()).toBe(2);
  });
});
