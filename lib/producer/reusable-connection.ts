/**
 * One kafkajs client (a producer, an admin) kept for a container's whole life: created and connected by
 * the first caller, one connect shared by concurrent first callers, connected again by the next caller after
 * the connection was lost or closed, and after a failed connect.
 */
export interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export class ReusableConnection<Client extends Connectable> {
  #client: Client | undefined;
  #connected = false;
  #connecting: Promise<Client> | undefined;

  /**
   * `create` makes the client once (it may first await what the client needs, such as a password from a
   * secret store); it may call markLost() from the client's disconnect event.
   */
  readonly #create: () => Client | Promise<Client>;

  constructor(create: () => Client | Promise<Client>) {
    this.#create = create;
  }

  get(): Promise<Client> {
    if (this.#connected && this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** The next get() connects again. */
  markLost(): void {
    this.#connected = false;
  }

  async close(): Promise<void> {
    this.#connected = false;
    if (this.#client) await this.#client.disconnect();
  }

  async #open(): Promise<Client> {
    if (!this.#client) {
      // Made at once when it can be (no await in between, so a first send's client exists synchronously).
      const made = this.#create();
      this.#client = made instanceof Promise ? await made : made;
    }
    const client = this.#client;
    await client.connect();
    this.#connected = true;
    return client;
  }
}
