/**
 * Configuration from environment variables, parsed and checked once when a container starts.
 * A bad value stops the cold start with one message naming every offending variable, instead of
 * surfacing later as a confusing broker error on some request.
 */
import * as z from 'zod/mini';
import { Secret } from './secret.js';

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

const brokerList = z.pipe(
  z
    .string()
    .check(
      z.minLength(
        1,
        'is required: a comma-separated host:port list, e.g. b-1.example:9098,b-2.example:9098',
      ),
    ),
  z.transform((value, ctx) => {
    const brokers = value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean);
    const bad = brokers.filter((broker) => {
      const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
      return !hostPort.test(broker) || port < 1 || port > 65_535;
    });
    if (brokers.length === 0 || bad.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expects host:port entries separated by commas, got ${JSON.stringify(value)}`,
      });
    }
    return brokers;
  }),
);

/**
 * Whether node-redis takes the URL, which it would otherwise refuse at the first request with an
 * Idempotency-Key and at every one after: its URL parse (WHATWG, which refuses a port past 65535), its decoding
 * of the credentials, and its database number. Redis serves only `npm start`'s store (the functions' packages
 * leave @redis/client out), so scripts/start.ts asks, before anything starts; the bundles leave this out.
 */
export const redisClientAccepts = (value: string): boolean => {
  try {
    const { username, password, pathname } = new URL(value);
    decodeURIComponent(username);
    decodeURIComponent(password);
    return /^(\/\d*)?$/.test(pathname);
  } catch {
    return false;
  }
};

// The parts every boolean and every whole number share are built once: each zod schema costs its construction
// at every cold start, and this schema alone would otherwise make about 140 of them.
const booleanText = z.pipe(
  z.enum(['true', 'false', '1', '0'], 'expects true or false'),
  z.transform((value) => value === 'true' || value === '1'),
);

const wholeNumberText = z.pipe(
  z.string().check(z.regex(/^-?\d+$/, 'expects a whole number')),
  z.transform(Number),
);

// zod 4 returns a default as the output value, unparsed: the defaults below are given already parsed.
const boolean = (fallback: boolean) => z._default(booleanText, fallback);

const integer = (fallback: number, min: number, max: number) =>
  z._default(
    z.pipe(
      wholeNumberText,
      z.number().check(z.gte(min, `expects at least ${min}`), z.lte(max, `expects at most ${max}`)),
    ),
    fallback,
  );

const nonEmpty = (fallback: string) =>
  z._default(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(249)), fallback);

const logLevels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

const saslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws-msk-iam'] as const;

const environmentSchema = z.object({
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: nonEmpty('order-events-publisher'),
  ORDER_EVENTS_TOPIC: z._default(
    z
      .string()
      .check(
        z.regex(
          /^[A-Za-z0-9._-]{1,249}$/,
          'expects a Kafka topic name (letters, digits, ".", "_", "-")',
        ),
      ),
    'order-events',
  ),
  // acks=0 is not offered: the service answers 202 only for records the broker acknowledged.
  KAFKA_ACKS: z._default(
    z.enum(['-1', 'all', '1'], 'expects -1 (all in-sync replicas) or 1 (leader only)'),
    '-1',
  ),
  KAFKA_IDEMPOTENT: boolean(true),
  KAFKA_RETRIES: integer(5, 0, 20),
  KAFKA_RETRY_INITIAL_MS: integer(100, 1, 10_000),
  KAFKA_CONNECT_TIMEOUT_MS: integer(3_000, 100, 30_000),
  KAFKA_REQUEST_TIMEOUT_MS: integer(5_000, 100, 30_000),
  // The Kafka work of one invocation gets the smaller of PUBLISH_TIMEOUT_MS and Lambda's remaining time
  // less PUBLISH_TIME_MARGIN_MS, so a slow broker becomes a 503 the caller can retry, never a Lambda timeout.
  // The margin holds the store's last call (half of it) and the answer, before middy's own timeout (5 ms).
  PUBLISH_TIMEOUT_MS: integer(8_000, 100, 60_000),
  PUBLISH_TIME_MARGIN_MS: integer(500, 50, 10_000),
  CLOUDEVENTS_SOURCE: nonEmpty('/order-events-publisher'),
  LOG_LEVEL: z._default(z.enum(logLevels, `expects one of ${logLevels.join(', ')}`), 'INFO'),
  // Broker security: TLS, and SASL PLAIN, SCRAM or AWS MSK IAM (OAUTHBEARER with a SigV4-signed token).
  KAFKA_SSL: boolean(false),
  KAFKA_SASL_MECHANISM: z.optional(
    z.enum(saslMechanisms, `expects one of ${saslMechanisms.join(', ')}`),
  ),
  KAFKA_SASL_USERNAME: z.optional(z.string()),
  KAFKA_SASL_PASSWORD: z.optional(z.string()),
  // In AWS the password stays out of the environment: this names the Secrets Manager secret that holds it.
  KAFKA_SASL_PASSWORD_SECRET: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^[A-Za-z0-9/_+=.@:-]{1,2048}$/,
          'expects the ARN or name of a Secrets Manager secret',
        ),
      ),
  ),
  AWS_REGION: z.optional(z.string()),
  // Idempotency-Key records: a DynamoDB table in AWS, a Redis server locally (Redis wins when both are set).
  IDEMPOTENCY_TABLE: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expects a DynamoDB table name')),
  ),
  IDEMPOTENCY_REDIS_URL: z.optional(
    z.string().check(z.regex(/^rediss?:\/\/\S+$/, 'expects a redis:// or rediss:// URL')),
  ),
  IDEMPOTENCY_EXPIRES_SECONDS: integer(24 * 3600, 60, 30 * 24 * 3600),
  // Each call to the store (connect included) ends within this, so that an unreachable store becomes a 503
  // inside the invocation's budget; every keyed request makes two or three such calls besides its publish.
  IDEMPOTENCY_STORE_TIMEOUT_MS: integer(1_000, 50, 10_000),
  // A local implementation of the DynamoDB API (`npm start` with IDEMPOTENCY_STORE=dynamodb, the tests);
  // empty in AWS, where the SDK finds DynamoDB by itself.
  IDEMPOTENCY_DYNAMODB_ENDPOINT: z.optional(
    z.string().check(z.regex(/^https?:\/\/\S+$/, 'expects an http:// or https:// URL')),
  ),
});

export interface Config {
  brokers: string[];
  clientId: string;
  topic: string;
  acks: -1 | 1;
  idempotent: boolean;
  retries: number;
  retryInitialMs: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  publishTimeoutMs: number;
  publishMarginMs: number;
  eventSource: string;
  logLevel: (typeof logLevels)[number];
  ssl: boolean;
  sasl: SaslSettings | undefined;
  idempotency: IdempotencySettings | undefined;
}

export type IdempotencySettings = {
  expiresAfterSeconds: number;
  /** The longest any one store call (connect, read, write) may take. */
  storeTimeoutMs: number;
} & (
  | { store: 'dynamodb'; table: string; endpoint?: LocalDynamoDbEndpoint }
  | { store: 'redis'; url: Secret }
);

/** Where a local DynamoDB API listens, and the region to sign for (any region does there). */
export interface LocalDynamoDbEndpoint {
  url: string;
  region: string;
}

export type PasswordMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/**
 * The password is either in hand (a local run's environment) or named: a Secrets Manager secret read once
 * per container when the first broker connection is made (see producer/broker-security.ts).
 */
export type SaslSettings =
  | { mechanism: PasswordMechanism; username: string; password: Secret }
  | { mechanism: PasswordMechanism; username: string; passwordSecretId: string }
  | { mechanism: 'aws-msk-iam'; region: string };

/** Every environment variable the configuration reads. (A function: a bundle that never asks carries none.) */
export const configVariables = (): string[] => Object.keys(environmentSchema.shape);

export class ConfigError extends Error {
  override name = 'ConfigError';

  /** `problem`: what is wrong, naming the variables; the message says it is the configuration. */
  constructor(problem: string) {
    super(`Invalid configuration: ${problem}`);
  }
}

/** Parses the environment into a Config, or throws one ConfigError that names every bad variable. */
export const loadConfig = (environment: Record<string, string | undefined>): Config => {
  // An empty variable counts as unset, as it would in a shell script.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      const message =
        issue.code === 'invalid_type' && present[variable] === undefined
          ? 'is required'
          : issue.message;
      return `${variable} ${message}`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const env = parsed.data;
  const acks = env.KAFKA_ACKS === '1' ? 1 : -1;
  // kafkajs's idempotent producer needs every in-sync replica's acknowledgement, and it refuses to be made
  // without retries (every publish would answer 503).
  const idempotenceNeeds = (needs: string, otherwise: string) =>
    new ConfigError(
      `KAFKA_IDEMPOTENT=true requires ${needs}; set KAFKA_IDEMPOTENT=false to use ${otherwise}`,
    );
  if (env.KAFKA_IDEMPOTENT && acks !== -1) throw idempotenceNeeds('KAFKA_ACKS=-1', 'KAFKA_ACKS=1');
  if (env.KAFKA_IDEMPOTENT && env.KAFKA_RETRIES < 1)
    throw idempotenceNeeds('KAFKA_RETRIES of 1 or more', 'KAFKA_RETRIES=0');
  return {
    ssl: env.KAFKA_SSL,
    sasl: saslSettings(env),
    idempotency: idempotencySettings(env),
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    topic: env.ORDER_EVENTS_TOPIC,
    acks,
    idempotent: env.KAFKA_IDEMPOTENT,
    retries: env.KAFKA_RETRIES,
    retryInitialMs: env.KAFKA_RETRY_INITIAL_MS,
    connectTimeoutMs: env.KAFKA_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: env.KAFKA_REQUEST_TIMEOUT_MS,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
    publishMarginMs: env.PUBLISH_TIME_MARGIN_MS,
    eventSource: env.CLOUDEVENTS_SOURCE,
    logLevel: env.LOG_LEVEL,
  };
};

const saslSettings = (env: z.infer<typeof environmentSchema>): SaslSettings | undefined => {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  // Credentials no mechanism uses would be dropped in silence, and every connect refused by the broker.
  const credentials = (
    ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_SECRET'] as const
  ).filter((variable) => env[variable]);
  if (credentials.length > 0 && (mechanism === undefined || mechanism === 'aws-msk-iam'))
    throw new ConfigError(
      `${credentials.join(', ')} needs KAFKA_SASL_MECHANISM plain, scram-sha-256 or scram-sha-512`,
    );
  if (mechanism === undefined) return undefined;
  // Every mechanism sends a credential (PLAIN the password itself, SCRAM a proof an eavesdropper can replay
  // against, or crack offline; IAM a signed token), and after it the session carries the events: never
  // without TLS.
  if (!env.KAFKA_SSL)
    throw new ConfigError(
      `KAFKA_SASL_MECHANISM=${mechanism} requires KAFKA_SSL=true (SASL sends credentials; every mechanism needs TLS)`,
    );
  if (mechanism === 'aws-msk-iam') {
    if (!env.AWS_REGION)
      throw new ConfigError(
        'KAFKA_SASL_MECHANISM=aws-msk-iam requires AWS_REGION (Lambda sets it)',
      );
    return { mechanism, region: env.AWS_REGION };
  }
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  const passwordSecretId = env.KAFKA_SASL_PASSWORD_SECRET;
  const missing = [
    ...(username ? [] : ['KAFKA_SASL_USERNAME']),
    ...(password || passwordSecretId
      ? []
      : ['KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_SECRET)']),
  ];
  if (missing.length > 0 || !username)
    throw new ConfigError(`${missing.join(' and ')} required by KAFKA_SASL_MECHANISM=${mechanism}`);
  if (password && passwordSecretId)
    throw new ConfigError(
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_SECRET are alternatives: give one',
    );
  return passwordSecretId
    ? { mechanism, username, passwordSecretId }
    : { mechanism, username, password: new Secret(password ?? '') };
};

const idempotencySettings = (
  env: z.infer<typeof environmentSchema>,
): IdempotencySettings | undefined => {
  const common = {
    expiresAfterSeconds: env.IDEMPOTENCY_EXPIRES_SECONDS,
    storeTimeoutMs: env.IDEMPOTENCY_STORE_TIMEOUT_MS,
  };
  // Redis wins when both are set: serverless.yml always names the AWS table, and `npm start` adds the URL
  // of its local redis-server. A Redis URL may carry a password, so it is kept as a Secret.
  if (env.IDEMPOTENCY_REDIS_URL)
    return { store: 'redis', url: new Secret(env.IDEMPOTENCY_REDIS_URL), ...common };
  if (env.IDEMPOTENCY_TABLE) {
    const endpoint = env.IDEMPOTENCY_DYNAMODB_ENDPOINT;
    return {
      store: 'dynamodb',
      table: env.IDEMPOTENCY_TABLE,
      ...common,
      ...(endpoint ? { endpoint: { url: endpoint, region: env.AWS_REGION ?? 'us-east-1' } } : {}),
    };
  }
  return undefined;
};

/**
 * On Lambda (AWS_LAMBDA_RUNTIME_API) and under serverless-offline (IS_OFFLINE) a container serves invocation
 * after invocation, so connections stay open for the next one. Anywhere else the process is one-shot, such
 * as `serverless invoke local`, and should end once its invocation is done rather than hang on a connection.
 */
export const isLongLivedProcess = (environment: Record<string, string | undefined>): boolean =>
  Boolean(environment.AWS_LAMBDA_RUNTIME_API || environment.IS_OFFLINE);
