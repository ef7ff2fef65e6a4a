/**
 * TLS and SASL settings for kafkajs from the configuration. AWS MSK IAM uses AWS's own signer
 * (aws-msk-iam-sasl-signer-js) through kafkajs's OAUTHBEARER mechanism; it is loaded only when configured,
 * so functions that do not use it never run its code (or the AWS SDK modules it needs) at cold start.
 *
 * A SCRAM/PLAIN password named by a Secrets Manager secret (KAFKA_SASL_PASSWORD_SECRET) is read by
 * resolveBrokerCredentials before the first kafkajs client is made, once per container, with Powertools
 * Parameters; the password then lives only in this process's memory, never in the function's environment.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config, SaslSettings } from '../config.js';
import { Secret } from '../secret.js';
import { causeChain } from './errors.js';

type BrokerSettings = Pick<
  Config,
  'brokers' | 'ssl' | 'sasl' | 'connectTimeoutMs' | 'requestTimeoutMs'
>;

/** How to reach the brokers (addresses, TLS and SASL, timeouts): the same for the producer and the health probe. */
export const brokerConnection = (
  config: BrokerSettings,
): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'connectionTimeout' | 'requestTimeout'> => ({
  brokers: config.brokers,
  ...brokerSecurity(config),
  connectionTimeout: config.connectTimeoutMs,
  requestTimeout: config.requestTimeoutMs,
});

export const brokerSecurity = (
  config: Pick<Config, 'ssl' | 'sasl'>,
): Pick<KafkaConfig, 'ssl' | 'sasl'> => {
  const security: Pick<KafkaConfig, 'ssl' | 'sasl'> = { ssl: config.ssl };
  if (config.sasl) security.sasl = saslOptions(config.sasl);
  return security;
};

/** Reads a secret's string value; Secrets Manager through Powertools Parameters in production. */
export type SecretReader = (secretId: string) => Promise<string | undefined>;

/**
 * Secrets Manager, read as the brokers are: one attempt, its connection within KAFKA_CONNECT_TIMEOUT_MS and
 * its answer within KAFKA_REQUEST_TIMEOUT_MS. Without them the SDK waits as long as the network lets it (a VPC
 * without a Secrets Manager endpoint or NAT), and the read, shared by every later connect, never ends.
 */
const readFromSecretsManager =
  ({ connectTimeoutMs, requestTimeoutMs }: SecretReadTimeouts): SecretReader =>
  async (secretId) => {
    // Loaded only when a secret is configured: local runs and MSK IAM never load the Secrets Manager client.
    const { SecretsProvider } = await import('@aws-lambda-powertools/parameters/secrets');
    const secrets = new SecretsProvider({
      clientConfig: {
        maxAttempts: 1,
        requestHandler: {
          connectionTimeout: connectTimeoutMs,
          requestTimeout: requestTimeoutMs,
          // Without it the SDK's HTTP handler only logs a warning when the answer is late, and waits on.
          throwOnRequestTimeout: true,
        },
      },
    });
    const value = await secrets.get(secretId);
    return typeof value === 'string' ? value : undefined;
  };

type SecretReadTimeouts = Pick<Config, 'connectTimeoutMs' | 'requestTimeoutMs'>;

/**
 * One read per secret per container; a failed read (an error, or no answer within its timeouts) is not kept,
 * so the next connect tries again, and neither is a password the brokers refused (see forgetRefusedPassword).
 */
const passwordReads = new Map<string, Promise<Secret>>();

/**
 * After the brokers refused the credentials (the secret rotated since it was read, say), the next connect reads
 * the secret again instead of offering the same password for the rest of the container's life.
 */
export const forgetRefusedPassword = (config: Pick<Config, 'sasl'>, error: unknown): void => {
  const { sasl } = config;
  if (sasl && 'passwordSecretId' in sasl && isAuthenticationRefusal(error))
    passwordReads.delete(sasl.passwordSecretId);
};

/** kafkajs's refusal of SASL credentials, on the error or one it wraps (a retried connect). */
const isAuthenticationRefusal = (error: unknown): boolean =>
  causeChain(error).some(
    (link) =>
      (link as Error).name === 'KafkaJSSASLAuthenticationError' ||
      (link as { type?: unknown }).type === 'SASL_AUTHENTICATION_FAILED',
  );

/**
 * The configuration with its SASL password in hand: unchanged when it already is (or there is none), else
 * with the password read from the named secret. Await it before creating a kafkajs client.
 */
export const resolveBrokerCredentials = async <
  Settings extends Pick<Config, 'sasl'> & SecretReadTimeouts,
>(
  config: Settings,
  readSecret: SecretReader = readFromSecretsManager(config),
): Promise<Settings> => {
  const { sasl } = config;
  if (!sasl || !('passwordSecretId' in sasl)) return config;
  const secretId = sasl.passwordSecretId;
  let read = passwordReads.get(secretId);
  if (!read) {
    read = readSecret(secretId).then(passwordFromSecretValue);
    passwordReads.set(secretId, read);
    read.catch(() => passwordReads.delete(secretId));
  }
  const password = await read;
  return { ...config, sasl: { mechanism: sasl.mechanism, username: sasl.username, password } };
};

/**
 * Makes a kafkajs client with the credentials in hand: at once when the configuration has them, after the
 * (once per container) secret read when it only names the secret.
 */
export const withBrokerCredentials = <
  Settings extends Pick<Config, 'sasl'> & SecretReadTimeouts,
  Client,
>(
  config: Settings,
  make: (config: Settings) => Client,
): Client | Promise<Client> =>
  config.sasl && 'passwordSecretId' in config.sasl
    ? resolveBrokerCredentials(config).then(make)
    : make(config);

/**
 * A secret holds the password as it is, or as the `password` field of a JSON object: the form Amazon MSK's
 * SCRAM secrets (AmazonMSK_*) take, `{"username": ..., "password": ...}`.
 */
const passwordFromSecretValue = (value: string | undefined): Secret => {
  if (!value) throw new Error('The SASL password secret has no string value');
  if (value.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return new Secret(value);
    }
    const field = (parsed as { password?: unknown } | null)?.password;
    if (typeof field !== 'string' || field === '')
      throw new Error('The SASL password secret is a JSON object without a "password" string');
    return new Secret(field);
  }
  return new Secret(value);
};

const saslOptions = (sasl: SaslSettings): SASLOptions => {
  if (sasl.mechanism === 'aws-msk-iam') {
    return {
      mechanism: 'oauthbearer',
      // kafkajs calls this on every (re)authentication; each token is valid for 15 minutes.
      oauthBearerProvider: async () => {
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region: sasl.region });
        return { value: token };
      },
    };
  }
  if (!('password' in sasl))
    throw new Error(
      'The SASL password has not been read from its secret: resolveBrokerCredentials',
    );
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() };
};
