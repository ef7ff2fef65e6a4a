// `serverless package` works offline, and the CloudFormation it generates carries the deployment's
// guarantees: authenticated and scoped routes, throttling, bounded timeouts and concurrency, VPC placement,
// least privilege per function, and no secret value anywhere in what it writes.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import JSZip from 'jszip';
import { functionRoutes } from '../../lib/catalog.js';
import { configVariables } from '../../lib/config.js';
import { repoRoot } from '../e2e/support/service.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

/** What Lambda needs of EC2 to place a function in a VPC (deploy/roles.cjs). */
const vpcActions = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

const routeKeys = (publishes: boolean) =>
  functionRoutes()
    .filter((route) => route.publishes === publishes)
    .map((route) => `${route.method} ${route.path}`)
    .sort();

const outDirs: string[] = [];

// The commands' own temp directory (TMPDIR), to see what they leave behind there.
const commandTemp = mkdtempSync(path.join(tmpdir(), 'order-events-sls-temp-'));
outDirs.push(commandTemp);

// Secret values a careless template would carry: set in the environment of every command below.
const sentinelPassword = 'SENTINEL-sasl-password-7f3a9c';
const sentinelRedisPassword = 'SENTINEL-redis-password-51be';
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf';
const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const serverless = async (command: string[], params: Record<string, string> = {}) => {
  const args = [
    'node_modules/serverless/bin/serverless.js',
    ...command,
    ...Object.entries(params).map(([key, value]) => `--param=${key}=${value}`),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'svc',
    KAFKA_SASL_PASSWORD: sentinelPassword,
    IDEMPOTENCY_REDIS_URL: `redis://:${sentinelRedisPassword}@127.0.0.1:6379`,
    TMPDIR: commandTemp,
  };
  delete env.NODE_OPTIONS;
  delete env.KAFKA_BROKERS;
  return promisify(execFile)(process.execPath, args, {
    cwd: repoRoot,
    env,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
};

const serverlessPackage = async (
  params: Record<string, string> = {},
): Promise<{ template: Template; dir: string }> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'order-events-package-'));
  outDirs.push(dir);
  await serverless(['package', '--package', dir], params);
  return {
    template: JSON.parse(
      readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template,
    dir,
  };
};

const ofType = (template: Template, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);

type Statement = { Effect: string; Action: string[]; Resource: unknown; Condition?: unknown };

/** The statements of one role's policies. */
const statementsOf = (template: Template, role: string): Statement[] =>
  (
    (template.Resources[role]?.Properties.Policies ?? []) as {
      PolicyDocument: { Statement: Statement[] };
    }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);

/** Every function's role, by function name (the part after `<service>-<stage>-`). */
const roleOfEachFunction = (template: Template) =>
  Object.fromEntries(
    ofType(template, 'AWS::Lambda::Function').map((fn) => [
      String(fn.Properties.FunctionName).replace('order-events-publisher-dev-', ''),
      (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    ]),
  );

/** Every file under a directory, its zips' entries included, as text. */
const everythingWritten = async (dir: string): Promise<{ name: string; text: string }[]> => {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const written = await Promise.all(
    files.map(async (file) => {
      if (!file.endsWith('.zip')) return [{ name: file, text: readFileSync(file, 'latin1') }];
      const zip = await JSZip.loadAsync(readFileSync(file));
      return Promise.all(
        Object.values(zip.files)
          .filter((zipEntry) => !zipEntry.dir)
          .map(async (zipEntry) => ({
            name: `${file}:${zipEntry.name}`,
            text: (await zipEntry.async('nodebuffer')).toString('latin1'),
          })),
      );
    }),
  );
  return written.flat();
};

let defaults: Template;
let defaultsDir: string;
let customised: Template;
let customisedDir: string;

// What an `npm start` in the same checkout builds its functions into (serverless-esbuild's default folder): the
// packaging below must leave it alone, or that run's functions not yet loaded would be gone.
const startsFolder = path.join(repoRoot, '.esbuild');
const startsMarker = path.join(startsFolder, `.npm-start-${process.pid}`);

beforeAll(async () => {
  mkdirSync(startsFolder, { recursive: true });
  writeFileSync(startsMarker, 'an npm start in this checkout');
  ({ template: defaults, dir: defaultsDir } = await serverlessPackage());
  ({ template: customised, dir: customisedDir } = await serverlessPackage({
    vpcSubnetIds: 'subnet-0a,subnet-0b',
    vpcSecurityGroupIds: 'sg-0c',
    mskClusterArn:
      'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3',
    reservedConcurrency: '4',
    provisionedConcurrency: '2',
    jwtIssuerUrl: 'https://auth.shop.test/',
    jwtAudience: 'orders-api',
    publishScope: 'shop/orders.publish',
    throttleRateLimit: '40',
    throttleBurstLimit: '4',
    kafkaSaslPasswordSecretArn: secretArn,
    kafkaSaslPasswordKmsKeyArn: kmsKeyArn,
  }));
}, 240_000);

afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(startsMarker, { force: true });
});

describe('`serverless package`', () => {
  it("builds in npm test's own folder and leaves an npm start's (.esbuild) as it was", () => {
    expect(process.env.ESBUILD_WORK_FOLDER).toBe('.esbuild-test');
    expect(existsSync(startsMarker)).toBe(true);
    // serverless-esbuild deletes its own folder when it is done.
    expect(existsSync(path.join(repoRoot, '.esbuild-test'))).toBe(false);
  });

  it('leaves none of the directories serverless-esbuild stages each zip in behind in the temp directory', () => {
    // <function>-<pid>-<milliseconds>-<8 hex digits>, one per function and run (deploy/zip-staging-cleanup.cjs).
    const staging = readdirSync(commandTemp).filter((name) =>
      /^[A-Za-z0-9]+-\d+-\d+-[0-9a-f]{8}$/.test(name),
    );
    expect(staging).toEqual([]);
  });

  it('links each publishing bundle to its source map, which Node reads with the functions’ NODE_OPTIONS', async () => {
    // The zip's files as Lambda unpacks them into /var/task.
    const task = mkdtempSync(path.join(tmpdir(), 'order-events-task-'));
    outDirs.push(task);
    const zip = await JSZip.loadAsync(readFileSync(path.join(defaultsDir, 'orderCreated.zip')));
    for (const entry of Object.values(zip.files).filter((file) => !file.dir)) {
      const file = path.join(task, entry.name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, await entry.async('nodebuffer'));
    }
    const created = ofType(defaults, 'AWS::Lambda::Function').find((fn) =>
      String(fn.Properties.FunctionName).endsWith('-orderCreated'),
    );
    if (!created) throw new Error('the template has no orderCreated function');
    const { NODE_OPTIONS } = (
      created.Properties.Environment as { Variables: Record<string, string> }
    ).Variables;
    // What Node's stack traces use: the bundle's map, found through the comment that names it.
    const probe = [
      "const bundle = require('node:path').join(process.cwd(), 'handlers/order-created.cjs');",
      'require(bundle);',
      "const map = require('node:module').findSourceMap(bundle);",
      'console.log(JSON.stringify(map ? map.payload.sources : null));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe], {
      cwd: task,
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS,
        KAFKA_BROKERS: '127.0.0.1:1',
        LOG_LEVEL: 'SILENT',
      },
      timeout: 30_000,
    });
    const sources = JSON.parse(stdout) as string[] | null;
    expect(sources).toEqual(
      expect.arrayContaining([expect.stringMatching(/(^|\/)lib\/publisher\.ts$/)]),
    );
  });
});

describe('the generated CloudFormation template', () => {
  it('runs every function on Lambda’s Node.js 24 runtime, on arm64', () => {
    const functions = ofType(defaults, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const fn of functions) {
      expect([
        fn.Properties.FunctionName,
        fn.Properties.Runtime,
        fn.Properties.Architectures,
      ]).toEqual([fn.Properties.FunctionName, 'nodejs24.x', ['arm64']]);
    }
  });

  it('has a timeout inside API Gateway’s 30 s on every function', () => {
    const functions = ofType(defaults, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) expect(fn.Properties.Timeout).toBeLessThan(30);
  });

  it('puts a JWT authorizer on every publishing route, with the configured issuer and audience', () => {
    const all = ofType(customised, 'AWS::ApiGatewayV2::Route');
    const routes = all.filter((route) => String(route.Properties.RouteKey).startsWith('POST '));
    // Only the health check and the API and topic descriptions are open.
    expect(routeKeys(false)).toEqual(['GET /asyncapi.json', 'GET /health', 'GET /openapi.json']);
    expect(
      all
        .filter((route) => !routes.includes(route))
        .map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType ?? 'NONE'])
        .sort(),
    ).toEqual(routeKeys(false).map((key) => [key, 'NONE']));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(routeKeys(true));
    for (const route of routes) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
      expect(route.Properties.AuthorizationScopes).toEqual(['shop/orders.publish']);
    }
    for (const route of ofType(defaults, 'AWS::ApiGatewayV2::Route').filter((route) =>
      String(route.Properties.RouteKey).startsWith('POST '),
    ))
      expect(route.Properties.AuthorizationScopes).toEqual(['order-events/publish']);
    const [authorizer] = ofType(customised, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer!.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://auth.shop.test/', Audience: ['orders-api'] },
    });
  });

  it('caps each function’s concurrency, 10 by default', () => {
    const publishers = (template: Template) =>
      ofType(template, 'AWS::Lambda::Function').filter((fn) =>
        /^order-events-publisher-dev-order/.test(String(fn.Properties.FunctionName)),
      );
    const count = routeKeys(true).length;
    expect(publishers(defaults).map((fn) => fn.Properties.ReservedConcurrentExecutions)).toEqual(
      Array(count).fill(10),
    );
    expect(publishers(customised).map((fn) => fn.Properties.ReservedConcurrentExecutions)).toEqual(
      Array(count).fill(4),
    );
    // The two open routes, which anyone may call, run in very few containers.
    const open = ofType(defaults, 'AWS::Lambda::Function').filter((fn) =>
      /-(health|openapi|asyncapi)$/.test(String(fn.Properties.FunctionName)),
    );
    expect(open.map((fn) => fn.Properties.ReservedConcurrentExecutions)).toEqual([2, 2, 2]);
  });

  it('keeps no container provisioned by default, and the given number of each publishing function when asked', () => {
    const provisioned = (template: Template) =>
      ofType(template, 'AWS::Lambda::Alias').map(
        (alias) =>
          (
            alias.Properties.ProvisionedConcurrencyConfig as {
              ProvisionedConcurrentExecutions: number;
            }
          ).ProvisionedConcurrentExecutions,
      );
    expect(provisioned(defaults)).toEqual([]);
    expect(provisioned(customised)).toEqual(Array(routeKeys(true).length).fill(2));
  });

  it('throttles every route on the stage (429 past it), and logs each request with its caller', () => {
    const stage = (template: Template) =>
      ofType(template, 'AWS::ApiGatewayV2::Stage')[0]!.Properties;
    expect(stage(defaults).DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 100,
      ThrottlingBurstLimit: 10,
    });
    expect(stage(customised).DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 40,
      ThrottlingBurstLimit: 4,
    });
    expect(stage(defaults).RouteSettings).toEqual({
      'GET /health': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 2 },
      'GET /openapi.json': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 2 },
      'GET /asyncapi.json': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 2 },
    });
    const accessLog = stage(defaults).AccessLogSettings as { Format: string };
    expect(JSON.parse(accessLog.Format)).toMatchObject({
      routeKey: '$context.routeKey',
      status: '$context.status',
      callerSubject: '$context.authorizer.claims.sub',
    });
  });

  it('joins the given VPC, and none by default', () => {
    for (const fn of ofType(defaults, 'AWS::Lambda::Function'))
      expect(fn.Properties.VpcConfig).toBeUndefined();
    // The documents reach nothing, so they stay outside.
    for (const fn of ofType(customised, 'AWS::Lambda::Function').filter(
      (fn) => !/-(openapi|asyncapi)$/.test(String(fn.Properties.FunctionName)),
    )) {
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0a', 'subnet-0b'],
        SecurityGroupIds: ['sg-0c'],
      });
    }
  });

  it('gives each kind of function a role of its own, and generates no shared role', () => {
    expect(defaults.Resources.IamRoleLambdaExecution).toBeUndefined();
    expect(roleOfEachFunction(defaults)).toEqual({
      orderCreated: 'PublisherRole',
      orderShipped: 'PublisherRole',
      orderCancelled: 'PublisherRole',
      orderEventsBatch: 'PublisherRole',
      health: 'HealthRole',
      openapi: 'OpenapiRole',
      asyncapi: 'OpenapiRole',
    });
  });

  it('lets the document functions (openapi, asyncapi) write their logs and nothing else', () => {
    for (const template of [defaults, customised]) {
      expect(statementsOf(template, 'OpenapiRole')).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: expect.arrayContaining([
            { 'Fn::GetAtt': ['OpenapiLogGroup', 'Arn'] },
            { 'Fn::GetAtt': ['AsyncapiLogGroup', 'Arn'] },
          ]),
        },
      ]);
      expect(template.Resources.OpenapiRole?.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets health connect and describe, never write, read no table, and use the one secret', () => {
    const actions = statementsOf(customised, 'HealthRole').flatMap((statement) => statement.Action);
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      ...vpcActions,
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeCluster',
      'kafka-cluster:DescribeTopic',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
    ]);
    expect(statementsOf(defaults, 'HealthRole').flatMap((statement) => statement.Action)).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('lets the functions in a VPC manage their network interfaces, and write no log group but their own', () => {
    for (const role of ['PublisherRole', 'HealthRole']) {
      // No managed policy: AWSLambdaVPCAccessExecutionRole would also let them write to every log group.
      expect(customised.Resources[role]?.Properties.ManagedPolicyArns).toBeUndefined();
      const statements = statementsOf(customised, role);
      expect(statements).toContainEqual({ Effect: 'Allow', Action: vpcActions, Resource: '*' });
      for (const statement of statements.filter((s) => s.Action.some((a) => a.startsWith('logs:'))))
        expect(statement.Resource).not.toEqual('*');
      // Outside a VPC, none of it.
      expect(JSON.stringify(statementsOf(defaults, role))).not.toContain('ec2:');
    }
  });

  it('lets the publishers read the one secret, and decrypt it only through Secrets Manager', () => {
    const secretStatements = statementsOf(customised, 'PublisherRole').filter((statement) =>
      statement.Action.some((action) => /^(secretsmanager|kms):/.test(action)),
    );
    expect(secretStatements).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [kmsKeyArn],
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
      },
    ]);
    expect(
      statementsOf(defaults, 'PublisherRole').flatMap((statement) => statement.Action),
    ).not.toContain('secretsmanager:GetSecretValue');
  });

  it('passes every setting of lib/config.ts to the publishing functions, but the local and secret ones', () => {
    // A local run's own settings (serverless-offline runs the handlers in its process), a secret value, and
    // what Lambda sets itself.
    const notDeployed = [
      'KAFKA_SASL_PASSWORD',
      'IDEMPOTENCY_REDIS_URL',
      'IDEMPOTENCY_DYNAMODB_ENDPOINT',
      'AWS_REGION',
    ];
    const publishers = ofType(defaults, 'AWS::Lambda::Function').filter((fn) =>
      /^order-events-publisher-dev-order/.test(String(fn.Properties.FunctionName)),
    );
    expect(publishers.length).toBeGreaterThanOrEqual(4);
    for (const fn of publishers) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(Object.keys(variables).sort()).toEqual(
        expect.arrayContaining(configVariables().filter((name) => !notDeployed.includes(name))),
      );
      for (const name of notDeployed) expect(variables).not.toHaveProperty(name);
    }
  });

  it('names the SASL password by its secret, and writes no secret value anywhere it packages', async () => {
    for (const fn of ofType(customised, 'AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables.KAFKA_SASL_PASSWORD_SECRET).toBe(secretArn);
      expect(variables).not.toHaveProperty('KAFKA_SASL_PASSWORD');
      expect(variables).not.toHaveProperty('IDEMPOTENCY_REDIS_URL');
    }
    const written = await everythingWritten(customisedDir);
    expect(written.length).toBeGreaterThan(6);
    for (const { name, text } of written) {
      for (const sentinel of [sentinelPassword, sentinelRedisPassword])
        expect([name, text.includes(sentinel)]).toEqual([name, false]);
    }
  });

  it('prints no secret value in `serverless print` either', async () => {
    const { stdout } = await serverless(['print'], { kafkaSaslPasswordSecretArn: secretArn });
    expect(stdout).toContain(secretArn);
    expect(stdout).not.toContain(sentinelPassword);
    expect(stdout).not.toContain(sentinelRedisPassword);
  }, 120_000);

  it('refuses to deploy a stage other than dev with the local development issuer', async () => {
    const prodDir = mkdtempSync(path.join(tmpdir(), 'order-events-prod-'));
    outDirs.push(prodDir);
    const failure = await serverless(['package', '--stage', 'prod', '--package', prodDir]).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    // It fails, not merely warns: a non-zero exit, and no template written.
    expect(failure?.code).toBeGreaterThan(0);
    expect(readdirSync(prodDir)).toEqual([]);
    const output = `${failure?.stdout ?? ''}${failure?.stderr ?? ''}`;
    expect(output).toContain(
      'jwtIssuerUrl is the local development issuer (https://localhost/order-events-publisher/dev), which only the dev stage may use: a deploy to stage "prod" needs',
    );
    await expect(
      serverless(['print', '--stage', 'prod'], { jwtIssuerUrl: 'https://auth.shop.test/' }),
    ).resolves.toMatchObject({ stdout: expect.stringContaining('https://auth.shop.test/') });
  }, 120_000);

  it('keeps Idempotency-Key records in a DynamoDB table with TTL, which only the functions may read and write', () => {
    const [table] = ofType(defaults, 'AWS::DynamoDB::Table');
    expect(table!.Properties).toMatchObject({
      TableName: 'order-events-publisher-dev-idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    // Only the publishers: health and openapi may not touch it.
    for (const role of ['HealthRole', 'OpenapiRole'])
      expect(JSON.stringify(statementsOf(defaults, role))).not.toContain('dynamodb');
    const dynamodb = statementsOf(defaults, 'PublisherRole').filter((statement) =>
      statement.Action.some((action) => action.startsWith('dynamodb')),
    );
    expect(dynamodb).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        Resource: [{ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }],
      },
    ]);
    for (const fn of ofType(defaults, 'AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables.IDEMPOTENCY_TABLE).toBe('order-events-publisher-dev-idempotency');
    }
  });

  it('grants no Kafka permission by default', () => {
    for (const role of ['PublisherRole', 'HealthRole'])
      expect(
        statementsOf(defaults, role)
          .flatMap((statement) => statement.Action)
          .filter((action) => action.startsWith('kafka')),
      ).toEqual([]);
  });

  it('grants MSK IAM only connect to the one cluster and write to the one topic', () => {
    const kafka = statementsOf(customised, 'PublisherRole').filter((statement) =>
      statement.Action.some((action) => action.startsWith('kafka')),
    );
    expect(kafka).toEqual([
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        Resource: [
          'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3',
        ],
      },
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Resource: [
          'arn:aws:kafka:eu-west-1:123456789012:topic/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3/order-events',
        ],
      },
    ]);
  });
});
