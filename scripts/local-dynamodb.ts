// A local DynamoDB API for Idempotency-Key records: dynalite (an implementation of DynamoDB's API in
// JavaScript, in memory), and the idempotency table as serverless.yml declares it for AWS, read from the
// resolved configuration (`serverless print`) rather than written down a second time here.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The command that serves dynalite on 127.0.0.1:port, and the line it prints once it listens. */
export const dynaliteCommand = (port: number) => ({
  command: process.execPath,
  args: [
    path.join(root, 'node_modules/dynalite/cli.js'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    // Tables are ACTIVE at once, not after dynalite's default half second.
    '--createTableMs',
    '0',
  ],
  ready: /Dynalite listening/,
});

export interface IdempotencyTableDefinition {
  TableName: string;
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  BillingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

interface PrintedConfig {
  provider: { environment: Record<string, string> };
  resources: {
    Resources: Record<string, { Type: string; Properties: IdempotencyTableDefinition }>;
  };
}

/**
 * The DynamoDB table that serverless.yml creates for the functions' IDEMPOTENCY_TABLE, with its variables
 * resolved as a deploy resolves them (`serverless print`: a few seconds).
 */
export const readIdempotencyTableDefinition = async (
  stage = 'dev',
): Promise<IdempotencyTableDefinition> => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.NODE_OPTIONS;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      path.join(root, 'node_modules/serverless/bin/serverless.js'),
      'print',
      '--format',
      'json',
      '--stage',
      stage,
    ],
    { cwd: root, env, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
  );
  const printed = JSON.parse(stdout) as PrintedConfig;
  const tableName = printed.provider.environment.IDEMPOTENCY_TABLE;
  const table = Object.values(printed.resources.Resources).find(
    (resource) =>
      resource.Type === 'AWS::DynamoDB::Table' && resource.Properties.TableName === tableName,
  );
  if (!table) throw new Error(`serverless.yml declares no DynamoDB table named ${tableName}`);
  return table.Properties;
};

/** A client for a local DynamoDB API, which takes any credentials. */
export const localDynamoDbClient = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

/**
 * Creates the table (key schema, attributes, billing mode as declared) and waits until it is ACTIVE.
 * dynalite implements no Time to Live: records carry the TTL attribute, but nothing removes them.
 */
export const createIdempotencyTable = async (
  endpoint: string,
  table: IdempotencyTableDefinition,
): Promise<void> => {
  const client = localDynamoDbClient(endpoint);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.TableName,
        AttributeDefinitions: table.AttributeDefinitions,
        KeySchema: table.KeySchema,
        BillingMode: table.BillingMode ?? 'PAY_PER_REQUEST',
      }),
    );
    for (let attempt = 0; attempt < 200; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table.TableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`table ${table.TableName} did not become ACTIVE`);
  } finally {
    client.destroy();
  }
};
