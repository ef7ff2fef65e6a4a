/**
 * TLS and SASL settings for kafkajs from the configuration. AWS MSK IAM uses AWS's own signer
 * (aws-msk-iam-sasl-signer-js) through kafkajs's OAUTHBEARER mechanism; it is loaded only when configured,
 * so functions that do not use it never run its code (or the AWS SDK modules it needs) at cold start.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config, SaslSettings } from '../config.js';

/** How to reach the brokers (addresses, TLS and SASL, timeouts): the same for the producer and the health probe. */
export const brokerConnection = (
  config: Pick<Config, 'brokers' | 'ssl' | 'sasl' | 'connectTimeoutMs' | 'requestTimeoutMs'>,
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
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() };
};
