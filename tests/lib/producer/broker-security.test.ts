import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import {
  brokerSecurity,
  forgetRefusedPassword,
  resolveBrokerCredentials,
  type SecretReader,
} from '../../../lib/producer/broker-security.js';
import { KafkaJsBrokerProbe } from '../../../lib/producer/kafkajs-probe.js';
import { KafkaJsEventProducer } from '../../../lib/producer/kafkajs-producer.js';
import { testConfig } from '../../support/events.js';
import { FakeAdmin } from '../../support/fake-admin.js';
import { FakeKafkaClient, type FakeKafkaProducer } from '../../support/fake-kafkajs.js';

describe('brokerSecurity', () => {
  it('is plaintext without SASL by default', () => {
    expect(brokerSecurity(testConfig())).toEqual({ ssl: false });
  });

  it.each(['scram-sha-256', 'scram-sha-512', 'plain'])(
    'passes %s credentials to kafkajs over TLS',
    (mechanism) => {
      const config = testConfig({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD: 's3cr3t-pw',
      });
      expect(brokerSecurity(config)).toEqual({
        ssl: true,
        sasl: { mechanism, username: 'svc', password: 's3cr3t-pw' },
      });
    },
  );

  it('signs an AWS MSK IAM token with the Lambda credentials, through OAUTHBEARER', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIATESTKEY',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_SESSION_TOKEN: 'test-session',
    });
    try {
      const security = brokerSecurity(
        testConfig({
          KAFKA_SSL: 'true',
          KAFKA_SASL_MECHANISM: 'aws-msk-iam',
          AWS_REGION: 'eu-west-1',
        }),
      );
      expect(security).toMatchObject({ ssl: true, sasl: { mechanism: 'oauthbearer' } });
      const { value } = await (
        security.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }
      ).oauthBearerProvider();
      // The token is a base64url-encoded SigV4 presigned URL for the kafka-cluster:Connect action.
      const url = new URL(Buffer.from(value, 'base64url').toString());
      expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(
        /^AKIATESTKEY\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
      );
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
    }
  });
});

describe('credentials in the configuration', () => {
  const config = testConfig({
    KAFKA_SSL: 'true',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'svc',
    KAFKA_SASL_PASSWORD: 'hunter2-very-secret',
  });

  it('never show in JSON, inspection or string conversion', () => {
    for (const shown of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config.sasl && 'password' in config.sasl ? config.sasl.password : ''),
    ]) {
      expect(shown).not.toContain('hunter2-very-secret');
    }
    expect(JSON.stringify(config)).toContain('[redacted]');
  });
});

/** A SCRAM configuration whose password is in the named Secrets Manager secret. */
const withSecret = (secretId: string, mechanism = 'scram-sha-512') =>
  testConfig({
    KAFKA_SSL: 'true',
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: 'svc',
    KAFKA_SASL_PASSWORD_SECRET: secretId,
  });

describe('resolveBrokerCredentials', () => {
  const readerOf = (values: Record<string, string>) => {
    const reads: string[] = [];
    const read: SecretReader = async (secretId) => {
      reads.push(secretId);
      return values[secretId];
    };
    return { read, reads };
  };

  it('reads a named password once per container, for every client made after it', async () => {
    const { read, reads } = readerOf({ 'msk/once': 'from-the-secret' });
    const config = withSecret('msk/once');
    const [first, second] = await Promise.all([
      resolveBrokerCredentials(config, read),
      resolveBrokerCredentials(config, read),
    ]);
    await resolveBrokerCredentials(config, read);
    expect(reads).toEqual(['msk/once']);
    for (const resolved of [first, second])
      expect(brokerSecurity(resolved)).toEqual({
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'from-the-secret' },
      });
    // The configuration it was given still only names the secret.
    expect(() => brokerSecurity(config)).toThrow('has not been read');
  });

  it('reads the secret again after the brokers refused its password (rotated since), and only then', async () => {
    let version = 1;
    const reads: string[] = [];
    const rotating: SecretReader = async (secretId) => {
      reads.push(secretId);
      return `password-v${version}`;
    };
    const config = withSecret('msk/rotating');
    await resolveBrokerCredentials(config, rotating);
    version = 2;
    // A broker that did not answer says nothing of the password: it is kept.
    forgetRefusedPassword(config, new KafkaJSConnectionError('Connection timeout'));
    expect(brokerSecurity(await resolveBrokerCredentials(config, rotating)).sasl).toMatchObject({
      password: 'password-v1',
    });
    // As kafkajs reports a refused SASL handshake when its retries ran out: the refusal as the cause.
    // (Its typings take no message; kafkajs itself always passes one.)
    const Refusal = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = new Refusal(
      'SASL SCRAM SHA512 authentication failed, reason: Authentication failed',
    );
    forgetRefusedPassword(
      config,
      new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 100 }),
    );
    expect(brokerSecurity(await resolveBrokerCredentials(config, rotating)).sasl).toMatchObject({
      password: 'password-v2',
    });
    expect(reads).toEqual(['msk/rotating', 'msk/rotating']);
  });

  it("takes the password field of an Amazon MSK SCRAM secret's JSON", async () => {
    const { read } = readerOf({
      AmazonMSK_json: JSON.stringify({ username: 'svc', password: 'json-pw' }),
    });
    const resolved = await resolveBrokerCredentials(withSecret('AmazonMSK_json'), read);
    expect(brokerSecurity(resolved).sasl).toMatchObject({ password: 'json-pw' });
  });

  it('tries again on the next connect after a failed read, and never names the value', async () => {
    let calls = 0;
    const flaky: SecretReader = async () => {
      calls += 1;
      if (calls === 1) throw new Error('throttled');
      return JSON.stringify({ user: 'svc', pass: 'hunter3-not-shown' });
    };
    const config = withSecret('msk/flaky');
    await expect(resolveBrokerCredentials(config, flaky)).rejects.toThrow('throttled');
    const failure = await resolveBrokerCredentials(config, flaky).catch((error: Error) => error);
    expect(calls).toBe(2);
    expect(String(failure)).toContain('without a "password" string');
    expect(String(failure)).not.toContain('hunter3-not-shown');
  });

  it('leaves a configuration without a named password as it is', async () => {
    const plain = testConfig();
    await expect(resolveBrokerCredentials(plain, readerOf({}).read)).resolves.toBe(plain);
  });
});

describe('the password read from Secrets Manager', () => {
  // A stand-in for Secrets Manager's endpoint: the first request gets no answer, the next ones the secret.
  const requests: string[] = [];
  let secretString = 'read-the-second-time';
  /** While set, the secret's answer waits for it. */
  let secretGate: Promise<void> | undefined;
  const unanswered: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push(String(request.headers['x-amz-target']));
    request.resume();
    if (requests.length === 1) {
      unanswered.push(response);
      return;
    }
    void (secretGate ?? Promise.resolve()).then(() => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ Name: 'msk/hangs', SecretString: secretString }));
    });
  });
  const saved: Record<string, string | undefined> = {};
  const environment = (port: number): Record<string, string> => ({
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    for (const [name, value] of Object.entries(environment(port))) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const response of unanswered) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a read that gets no answer, and the next connect reads again', async () => {
    const config = testConfig({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD_SECRET: 'msk/hangs',
      KAFKA_CONNECT_TIMEOUT_MS: '200',
      KAFKA_REQUEST_TIMEOUT_MS: '300',
    });
    await expect(resolveBrokerCredentials(config)).rejects.toThrow();
    const resolved = await resolveBrokerCredentials(config);
    expect(brokerSecurity(resolved).sasl).toMatchObject({ password: 'read-the-second-time' });
    expect(requests).toEqual(['secretsmanager.GetSecretValue', 'secretsmanager.GetSecretValue']);
  });

  it("has the producer offer the secret's new password once the brokers refused the old one", async () => {
    const config = withSecret('msk/rotates');
    secretString = 'before-rotation';
    const offered: string[] = [];
    // Brokers that, like MSK after a rotation, take only the new password.
    const client = new FakeKafkaClient();
    const producer = new KafkaJsEventProducer(config, (withPassword) => {
      const password = brokerSecurity(withPassword).sasl;
      offered.push(password && 'password' in password ? password.password : '');
      const made = client.producer.bind(client);
      return {
        producer: (options) => {
          const fake = made(options) as unknown as FakeKafkaProducer;
          if (offered.at(-1) !== 'after-rotation')
            fake.connectFailure = new (
              KafkaJSSASLAuthenticationError as unknown as new (
                message: string,
              ) => Error
            )('SASL SCRAM SHA512 authentication failed');
          return fake as unknown as ReturnType<typeof made>;
        },
      };
    });
    const send = () =>
      producer.send([{ topic: 'order-events', key: 'o-1', value: '{}', headers: {} }], {
        timeoutMs: 2_000,
      });
    await expect(send()).rejects.toThrow();
    secretString = 'after-rotation';
    await expect(send()).resolves.toHaveLength(1);
    expect(offered).toEqual(['before-rotation', 'after-rotation']);
  });

  it('makes no client for a producer retired while its password was being read', async () => {
    const config = withSecret('msk/slow');
    let answer: () => void = () => undefined;
    secretGate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let made = 0;
    const producer = new KafkaJsEventProducer(config, () => {
      made += 1;
      return new FakeKafkaClient();
    });
    // The send runs out of time while Secrets Manager has not answered: its producer is retired.
    await expect(
      producer.send([{ topic: 'order-events', key: 'o-1', value: '{}', headers: {} }], {
        timeoutMs: 100,
      }),
    ).rejects.toThrow('did not acknowledge');
    expect(producer.retiredGenerations).toBe(1);
    answer();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(made).toBe(0);
    secretGate = undefined;
  });

  it('has the health probe offer the new password too, once the brokers refused the old one', async () => {
    const config = withSecret('msk/rotates-for-health', 'scram-sha-256');
    secretString = 'health-before-rotation';
    const offered: string[] = [];
    const probe = new KafkaJsBrokerProbe(config, (withPassword, sockets) => {
      const sasl = brokerSecurity(withPassword).sasl;
      const password = sasl && 'password' in sasl ? sasl.password : '';
      offered.push(password);
      // Brokers that, like MSK after a rotation, take only the new password.
      const admin = new FakeAdmin(sockets);
      if (password !== 'health-after-rotation')
        admin.failure = new (
          KafkaJSSASLAuthenticationError as unknown as new (
            message: string,
          ) => Error
        )('SASL SCRAM SHA256 authentication failed');
      return admin;
    });
    const check = () => probe.fetchMetadata(new AbortController().signal);
    await expect(check()).rejects.toThrow('authentication failed');
    secretString = 'health-after-rotation';
    await expect(check()).resolves.toMatchObject({ brokers: 3 });
    expect(offered).toEqual(['health-before-rotation', 'health-after-rotation']);
    probe.close();
  });
});
