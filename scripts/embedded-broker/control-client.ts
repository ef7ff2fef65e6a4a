// A typed client for every route of the embedded broker's control API (main.ts documents them). It lives
// next to the server so that scripts (the bench) and tests share it.
import http from 'node:http';
import type { ProduceLogEntry } from './kafka-proxy.js';

export type { ProduceLogEntry } from './kafka-proxy.js';

/** Broker id meaning "every broker" in every route that takes one. */
export const ALL_BROKERS = -1;

export interface ControlHealth {
  ok: boolean;
  bootstrap: string;
  brokerIds: number[];
}

export interface HangOptions {
  /** Only requests with this ApiKey (2 = ListOffsets), the others answered; every request when absent. */
  apiKey?: number;
}

export interface ResetOptions {
  /** How many requests; every matching request until clearProxyFaults() when absent. */
  count?: number;
  /** Only requests with this ApiKey (0 = Produce); every request when absent. */
  apiKey?: number;
}

export class BrokerControl {
  constructor(readonly url: string) {}

  health(): Promise<ControlHealth> {
    return this.call('GET', '/health');
  }

  /** Drops the broker's connections and refuses new ones until brokerUp. */
  async brokerDown(id: number): Promise<void> {
    await this.call('POST', `/brokers/${id}/down`);
  }
  async brokerUp(id: number): Promise<void> {
    await this.call('POST', `/brokers/${id}/up`);
  }
  /** Adds `ms` to every response of the broker (0 removes it). */
  async setRtt(id: number, ms: number): Promise<void> {
    await this.call('POST', `/brokers/${id}/rtt`, { ms });
  }

  /** The next requests with this ApiKey (to any broker) fail with these Kafka error codes, in order. */
  async pushRequestErrors(apiKey: number, codes: number[]): Promise<void> {
    await this.call('POST', '/request-errors', { apiKey, codes });
  }
  async clearRequestErrors(apiKey?: number): Promise<void> {
    await this.call(
      'DELETE',
      apiKey === undefined ? '/request-errors' : `/request-errors?apiKey=${apiKey}`,
    );
  }

  /** At the proxy: the broker accepts connections and request bytes but never answers, until cleared. */
  async hang(id: number, options: HangOptions = {}): Promise<void> {
    await this.call('POST', `/brokers/${id}/hang`, options);
  }
  /** At the proxy: matching requests have their connection reset once they arrived, unforwarded. */
  async reset(id: number, options: ResetOptions = {}): Promise<void> {
    await this.call('POST', `/brokers/${id}/reset`, options);
  }
  /** Ends every hang and reset. */
  async clearProxyFaults(): Promise<void> {
    await this.call('DELETE', '/proxy-faults');
  }

  /** Every Produce request that reached the proxy since the last clearProduced(), oldest first. */
  produced(): Promise<ProduceLogEntry[]> {
    return this.call('GET', '/produced');
  }
  async clearProduced(): Promise<void> {
    await this.call('DELETE', '/produced');
  }

  /** Every fault off: brokers up, no added latency, no queued errors, no hang or reset. */
  async clearAllFaults(): Promise<void> {
    await this.brokerUp(ALL_BROKERS);
    await this.setRtt(ALL_BROKERS, 0);
    await this.clearRequestErrors();
    await this.clearProxyFaults();
  }

  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      // agent: false so no keep-alive socket outlives the call and holds a test runner open
      const request = http.request(
        new URL(route, this.url),
        { method, agent: false, timeout: 5_000 },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            if (response.statusCode === 200) return resolve(JSON.parse(text) as T);
            reject(new Error(`${method} ${route} -> ${response.statusCode}: ${text}`));
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${route} timed out`)));
      request.on('error', reject);
      if (payload !== undefined) request.setHeader('content-type', 'application/json');
      request.end(payload);
    });
  }
}
