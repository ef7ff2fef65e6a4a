import { describe, expect, it } from '@jest/globals';
import { RedisClient } from '@redis/client';
import { ConfigError, loadConfig, redisClientAccepts } from '../../lib/config.js';

const parseError = (environment: Record<string, string>): string => {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected loadConfig to throw');
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'b-1:9092, b-2:9092' })).toEqual({
      brokers: ['b-1:9092', 'b-2:9092'],
      clientId: 'order-events-publisher',
      topic: 'order-events',
      acks: -1,
      idempotent: true,
      retries: 5,
      retryInitialMs: 100,
      connectTimeoutMs: 3000,
      requestTimeoutMs: 5000,
      publishTimeoutMs: 8000,
      publishMarginMs: 500,
      eventSource: '/order-events-publisher',
      ssl: false,
      sasl: undefined,
      idempotency: undefined,
      logLevel: 'INFO',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      KAFKA_BROKERS: '[::1]:9092',
      KAFKA_CLIENT_ID: 'shop',
      ORDER_EVENTS_TOPIC: 'shop.orders',
      KAFKA_ACKS: '1',
      KAFKA_IDEMPOTENT: 'false',
      KAFKA_RETRIES: '2',
      KAFKA_CONNECT_TIMEOUT_MS: '1000',
      KAFKA_REQUEST_TIMEOUT_MS: '2000',
      PUBLISH_TIMEOUT_MS: '4000',
      PUBLISH_TIME_MARGIN_MS: '250',
      CLOUDEVENTS_SOURCE: '/shop',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      brokers: ['[::1]:9092'],
      clientId: 'shop',
      topic: 'shop.orders',
      acks: 1,
      idempotent: false,
      retries: 2,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      publishTimeoutMs: 4000,
      publishMarginMs: 250,
      eventSource: '/shop',
      logLevel: 'DEBUG',
    });
  });

  it('names a missing KAFKA_BROKERS, also when it is empty', () => {
    expect(parseError({})).toBe('Invalid configuration: KAFKA_BROKERS is required');
    expect(parseError({ KAFKA_BROKERS: '' })).toBe(
      'Invalid configuration: KAFKA_BROKERS is required',
    );
  });

  it('names every malformed variable in one message', () => {
    const message = parseError({
      KAFKA_BROKERS: 'no-port',
      KAFKA_RETRIES: 'many',
      KAFKA_IDEMPOTENT: 'yes',
      ORDER_EVENTS_TOPIC: 'bad topic',
    });
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).toContain('KAFKA_BROKERS expects host:port');
    expect(message).toContain('KAFKA_RETRIES expects a whole number');
    expect(message).toContain('KAFKA_IDEMPOTENT expects true or false');
    expect(message).toContain('ORDER_EVENTS_TOPIC expects a Kafka topic name');
  });

  it('rejects out-of-range numbers and acks=0', () => {
    expect(parseError({ KAFKA_BROKERS: 'b:1', KAFKA_REQUEST_TIMEOUT_MS: '5' })).toContain(
      'KAFKA_REQUEST_TIMEOUT_MS expects at least 100',
    );
    // Below it, middy's early timeout (5 ms before Lambda's) could answer while the store's last call runs.
    expect(parseError({ KAFKA_BROKERS: 'b:1', PUBLISH_TIME_MARGIN_MS: '10' })).toContain(
      'PUBLISH_TIME_MARGIN_MS expects at least 50',
    );
    expect(parseError({ KAFKA_BROKERS: 'b:1', KAFKA_ACKS: '0' })).toContain(
      'KAFKA_ACKS expects -1',
    );
  });

  it('rejects idempotence with acks other than -1', () => {
    expect(parseError({ KAFKA_BROKERS: 'b:1', KAFKA_ACKS: '1' })).toContain(
      'KAFKA_IDEMPOTENT=true requires KAFKA_ACKS=-1',
    );
    expect(loadConfig({ KAFKA_BROKERS: 'b:1', KAFKA_ACKS: 'all' }).acks).toBe(-1);
  });

  it('rejects idempotence without retries, which kafkajs would refuse at every publish', () => {
    expect(parseError({ KAFKA_BROKERS: 'b:1', KAFKA_RETRIES: '0' })).toContain(
      'KAFKA_IDEMPOTENT=true requires KAFKA_RETRIES of 1 or more',
    );
    expect(
      loadConfig({ KAFKA_BROKERS: 'b:1', KAFKA_RETRIES: '0', KAFKA_IDEMPOTENT: 'false' }).retries,
    ).toBe(0);
  });

  it('reads SASL settings for each mechanism', () => {
    expect(
      loadConfig({
        KAFKA_BROKERS: 'b:9096',
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }).sasl,
    ).toMatchObject({
      mechanism: 'scram-sha-512',
      username: 'u',
    });
    expect(
      loadConfig({
        KAFKA_BROKERS: 'b:9098',
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'aws-msk-iam',
        AWS_REGION: 'eu-west-1',
      }).sasl,
    ).toEqual({
      mechanism: 'aws-msk-iam',
      region: 'eu-west-1',
    });
  });

  it('rejects incomplete or unsafe SASL settings, naming the variables', () => {
    expect(parseError({ KAFKA_BROKERS: 'b:1', KAFKA_SASL_MECHANISM: 'gssapi' })).toContain(
      'KAFKA_SASL_MECHANISM expects one of plain, scram-sha-256, scram-sha-512, aws-msk-iam',
    );
    expect(
      parseError({
        KAFKA_BROKERS: 'b:1',
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
      }),
    ).toContain(
      'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_SECRET) required',
    );
    expect(
      parseError({
        KAFKA_BROKERS: 'b:1',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toContain('requires KAFKA_SSL=true');
    expect(
      parseError({
        KAFKA_BROKERS: 'b:1',
        KAFKA_SASL_MECHANISM: 'aws-msk-iam',
        AWS_REGION: 'eu-west-1',
      }),
    ).toContain('requires KAFKA_SSL=true');
    expect(
      parseError({ KAFKA_BROKERS: 'b:1', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws-msk-iam' }),
    ).toContain('requires AWS_REGION');
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512', 'aws-msk-iam'])(
    'refuses SASL %s without TLS',
    (mechanism) => {
      expect(
        parseError({
          KAFKA_BROKERS: 'b:1',
          KAFKA_SASL_MECHANISM: mechanism,
          ...(mechanism === 'aws-msk-iam'
            ? {}
            : { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
          AWS_REGION: 'eu-west-1',
        }),
      ).toBe(
        `Invalid configuration: KAFKA_SASL_MECHANISM=${mechanism} requires KAFKA_SSL=true (SASL sends credentials; every mechanism needs TLS)`,
      );
    },
  );

  it.each([
    [{ KAFKA_SASL_PASSWORD_SECRET: 'arn:aws:secretsmanager:eu-west-1:1:secret:kafka' }, undefined],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'sasl-pw-4411' }, undefined],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'sasl-pw-4411' }, 'aws-msk-iam'],
  ])(
    'refuses SASL credentials no mechanism uses (%j with KAFKA_SASL_MECHANISM=%s)',
    (credentials, mechanism) => {
      const message = parseError({
        KAFKA_BROKERS: 'b:1',
        KAFKA_SSL: 'true',
        AWS_REGION: 'eu-west-1',
        ...credentials,
        ...(mechanism ? { KAFKA_SASL_MECHANISM: mechanism } : {}),
      });
      expect(message).toContain(
        `${Object.keys(credentials).join(', ')} needs KAFKA_SASL_MECHANISM plain, scram-sha-256 or scram-sha-512`,
      );
      expect(message).not.toContain('sasl-pw-4411');
    },
  );

  it('takes the password from the environment or names its secret, not both', () => {
    const scram = {
      KAFKA_BROKERS: 'b:9096',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
    };
    const secretArn =
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf';
    expect(loadConfig({ ...scram, KAFKA_SASL_PASSWORD_SECRET: secretArn }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'svc',
      passwordSecretId: secretArn,
    });
    expect(
      parseError({ ...scram, KAFKA_SASL_PASSWORD: 'pw-1', KAFKA_SASL_PASSWORD_SECRET: secretArn }),
    ).toContain('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_SECRET are alternatives');
    expect(parseError({ ...scram, KAFKA_SASL_PASSWORD_SECRET: 'not a secret id' })).toContain(
      'KAFKA_SASL_PASSWORD_SECRET expects the ARN or name of a Secrets Manager secret',
    );
  });

  it('never puts a password into an error message', () => {
    const secrets = {
      KAFKA_SASL_PASSWORD: 'pw-123456',
      // A URL that is refused, with a password in it.
      IDEMPOTENCY_REDIS_URL: 'redis//:redis-pw-7890@127.0.0.1:6379',
    };
    const failing: Record<string, string>[] = [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
      { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-999', KAFKA_SASL_USERNAME: 'u' },
      { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' },
      { KAFKA_SSL: 'maybe', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
    ];
    for (const settings of failing) {
      const message = parseError({ KAFKA_BROKERS: 'b:1', ...settings, ...secrets });
      expect(message).toContain('Invalid configuration');
      expect(message).not.toContain('pw-123456');
      expect(message).not.toContain('redis-pw-7890');
    }
  });

  it.each(['b-1:0', 'b-1:70000', 'b-1:9092,[::1]:65536'])(
    'refuses a broker port outside 1 to 65535 (%s)',
    (brokers) => {
      expect(parseError({ KAFKA_BROKERS: brokers })).toContain(
        'KAFKA_BROKERS expects host:port entries',
      );
    },
  );

  it.each([
    'redis://:redis-pw-3131@127.0.0.1:70000',
    'redis://:redis-pw-3131%zz@127.0.0.1:6379',
    'redis://:redis-pw-3131@127.0.0.1:6379/orders',
  ])('finds a Redis URL the client would refuse at every keyed request (%s)', (url) => {
    expect(() => RedisClient.parseURL(url)).toThrow();
    expect(redisClientAccepts(url)).toBe(false);
  });

  it.each([
    'redis://127.0.0.1:6379',
    'rediss://svc:p%40ss@cache.example:6380/2',
    'redis://:pw@cache.example/',
  ])('takes a Redis URL the client accepts (%s)', (url) => {
    expect(() => RedisClient.parseURL(url)).not.toThrow();
    expect(redisClientAccepts(url)).toBe(true);
    expect(
      loadConfig({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_REDIS_URL: url }).idempotency,
    ).toMatchObject({ store: 'redis' });
  });

  it('reads the idempotency store: DynamoDB, or Redis, which wins when both are set', () => {
    expect(
      loadConfig({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_TABLE: 'orders-idempotency' }).idempotency,
    ).toEqual({
      store: 'dynamodb',
      table: 'orders-idempotency',
      expiresAfterSeconds: 86400,
      storeTimeoutMs: 1000,
    });
    expect(
      loadConfig({
        KAFKA_BROKERS: 'b:1',
        IDEMPOTENCY_TABLE: 't-1',
        IDEMPOTENCY_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        IDEMPOTENCY_STORE_TIMEOUT_MS: '250',
      }).idempotency,
    ).toMatchObject({
      store: 'dynamodb',
      endpoint: { url: 'http://127.0.0.1:8000', region: 'us-east-1' },
      storeTimeoutMs: 250,
    });
    expect(
      parseError({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_DYNAMODB_ENDPOINT: 'localhost:8000' }),
    ).toContain('IDEMPOTENCY_DYNAMODB_ENDPOINT expects an http://');
    expect(parseError({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_STORE_TIMEOUT_MS: '0' })).toContain(
      'IDEMPOTENCY_STORE_TIMEOUT_MS expects at least 50',
    );
    const redis = loadConfig({
      KAFKA_BROKERS: 'b:1',
      IDEMPOTENCY_TABLE: 't-1',
      IDEMPOTENCY_REDIS_URL: 'redis://:pw-secret@127.0.0.1:6379',
      IDEMPOTENCY_EXPIRES_SECONDS: '600',
    });
    expect(redis.idempotency).toMatchObject({ store: 'redis', expiresAfterSeconds: 600 });
    expect(JSON.stringify(redis)).not.toContain('pw-secret');
    expect(parseError({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_REDIS_URL: 'http://x' })).toContain(
      'IDEMPOTENCY_REDIS_URL expects a redis://',
    );
    expect(parseError({ KAFKA_BROKERS: 'b:1', IDEMPOTENCY_EXPIRES_SECONDS: '5' })).toContain(
      'IDEMPOTENCY_EXPIRES_SECONDS expects at least 60',
    );
  });
});
