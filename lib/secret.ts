import { inspect } from 'node:util';

/**
 * A credential that cannot leak by accident: logging, inspecting or serialising it shows "[redacted]";
 * only reveal() gives the value, at the one place that hands it to the Kafka client.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}
