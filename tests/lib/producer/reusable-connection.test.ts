import { describe, expect, it } from '@jest/globals';
import { type Connectable, ReusableConnection } from '../../../lib/producer/reusable-connection.js';

/** A client whose connects the test settles one by one, counting connects and disconnects. */
class GatedClient implements Connectable {
  connects = 0;
  disconnects = 0;
  private gates: { resolve: () => void; reject: (error: Error) => void }[] = [];

  connect(): Promise<void> {
    this.connects += 1;
    return new Promise((resolve, reject) => this.gates.push({ resolve, reject }));
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
  }

  /** Settles the oldest connect still waiting. */
  settle(outcome: 'connected' | Error): void {
    const gate = this.gates.shift();
    if (!gate) throw new Error('no connect is waiting');
    if (outcome === 'connected') gate.resolve();
    else gate.reject(outcome);
  }
}

/** A ReusableConnection over clients the test can reach, each counted as made. */
const reusable = () => {
  const made: GatedClient[] = [];
  const connection = new ReusableConnection(() => {
    const client = new GatedClient();
    made.push(client);
    return client;
  });
  return { connection, made };
};

/** Lets the connection's own promise steps run, so that what it starts next has started. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** The next get connects the one client a second time, and answers with it once connected. */
const connectsAgain = async ({ connection, made }: ReturnType<typeof reusable>) => {
  const again = connection.get();
  await settled();
  expect(made).toHaveLength(1);
  expect(made[0]?.connects).toBe(2);
  made[0]?.settle('connected');
  await expect(again).resolves.toBe(made[0]);
};

/** A ReusableConnection whose first get has connected. */
const connectedOnce = async () => {
  const reused = reusable();
  const first = reused.connection.get();
  await settled();
  reused.made[0]?.settle('connected');
  await first;
  return reused;
};

describe('ReusableConnection', () => {
  it('makes nothing and connects nothing before the first get', () => {
    const { made } = reusable();
    expect(made).toHaveLength(0);
  });

  it('shares one connect among concurrent first callers, and hands each the one client', async () => {
    const { connection, made } = reusable();
    const first = connection.get();
    const second = connection.get();
    await settled();
    expect(made).toHaveLength(1);
    made[0]?.settle('connected');
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(made[0]);
    expect(b).toBe(made[0]);
    expect(made[0]?.connects).toBe(1);
  });

  it('answers later callers with the connected client, connecting nothing more', async () => {
    const { connection, made } = await connectedOnce();
    await expect(connection.get()).resolves.toBe(made[0]);
    await expect(connection.get()).resolves.toBe(made[0]);
    expect(made[0]?.connects).toBe(1);
  });

  it('connects the same client again on the next get after it was lost', async () => {
    const reused = await connectedOnce();
    reused.connection.markLost();
    await connectsAgain(reused);
  });

  it('passes a failed connect to every caller waiting on it, and connects afresh on the next get', async () => {
    const reused = reusable();
    const first = reused.connection.get();
    const second = reused.connection.get();
    await settled();
    reused.made[0]?.settle(new Error('broker unreachable'));
    await expect(first).rejects.toThrow('broker unreachable');
    await expect(second).rejects.toThrow('broker unreachable');
    await connectsAgain(reused);
  });

  it('waits for a client that takes time to make (credentials first), and makes it once', async () => {
    let release!: () => void;
    const credentials = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = new GatedClient();
    let makes = 0;
    const connection = new ReusableConnection(async () => {
      makes += 1;
      await credentials;
      return client;
    });
    const first = connection.get();
    const second = connection.get();
    await settled();
    expect(client.connects).toBe(0);
    release();
    await settled();
    client.settle('connected');
    await expect(Promise.all([first, second])).resolves.toEqual([client, client]);
    expect(makes).toBe(1);
  });

  it('disconnects on close, and connects again on the next get', async () => {
    const reused = await connectedOnce();
    await reused.connection.close();
    expect(reused.made[0]?.disconnects).toBe(1);
    await connectsAgain(reused);
  });

  it('closes without a client as a no-op', async () => {
    const { connection, made } = reusable();
    await expect(connection.close()).resolves.toBeUndefined();
    expect(made).toHaveLength(0);
  });
});
