// `serverless package` works offline, and the CloudFormation it generates carries the deployment's
// guarantees: authenticated routes, bounded timeouts and concurrency, VPC placement and least privilege.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { functionRoutes } from '../../lib/catalog.js';
import { repoRoot } from '../e2e/support/service.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

const routeKeys = (publishes: boolean) =>
  functionRoutes()
    .filter((route) => route.publishes === publishes)
    .map((route) => `${route.method} ${route.path}`)
    .sort();

const outDirs: string[] = [];

const serverlessPackage = async (
  params: Record<string, string> = {},
): Promise<{ template: Template; dir: string }> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'order-events-package-'));
  outDirs.push(dir);
  const args = [
    'node_modules/serverless/bin/serverless.js',
    'package',
    '--package',
    dir,
    ...Object.entries(params).map(([key, value]) => `--param=${key}=${value}`),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.NODE_OPTIONS;
  delete env.KAFKA_BROKERS;
  await promisify(execFile)(process.execPath, args, { cwd: repoRoot, env, timeout: 120_000 });
  return {
    template: JSON.parse(
      readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template,
    dir,
  };
};

const ofType = (template: Template, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);
const statements = (template: Template) =>
  (
    template.Resources.IamRoleLambdaExecution!.Properties.Policies as {
      PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
    }[]
  )[0]!.PolicyDocument.Statement;

let defaults: Template;
let customised: Template;

beforeAll(async () => {
  defaults = (await serverlessPackage()).template;
  customised = (
    await serverlessPackage({
      vpcSubnetIds: 'subnet-0a,subnet-0b',
      vpcSecurityGroupIds: 'sg-0c',
      mskClusterArn:
        'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3',
      reservedConcurrency: '4',
      jwtIssuerUrl: 'https://auth.shop.test/',
      jwtAudience: 'orders-api',
    })
  ).template;
}, 240_000);

afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
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
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('JWT');
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
  });

  it('joins the given VPC, and none by default', () => {
    for (const fn of ofType(defaults, 'AWS::Lambda::Function'))
      expect(fn.Properties.VpcConfig).toBeUndefined();
    for (const fn of ofType(customised, 'AWS::Lambda::Function')) {
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0a', 'subnet-0b'],
        SecurityGroupIds: ['sg-0c'],
      });
    }
  });

  it('keeps Idempotency-Key records in a DynamoDB table with TTL, which only the functions may read and write', () => {
    const [table] = ofType(defaults, 'AWS::DynamoDB::Table');
    expect(table!.Properties).toMatchObject({
      TableName: 'order-events-publisher-dev-idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    const dynamodb = statements(defaults).filter((statement) =>
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
    expect(
      statements(defaults)
        .flatMap((statement) => statement.Action)
        .filter((action) => action.startsWith('kafka')),
    ).toEqual([]);
  });

  it('grants MSK IAM only connect to the one cluster and write to the one topic', () => {
    const kafka = statements(customised).filter((statement) =>
      statement.Action.some((action) => action.startsWith('kafka')),
    );
    expect(kafka).toEqual([
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        Resource:
          'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3',
      },
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Resource:
          'arn:aws:kafka:eu-west-1:123456789012:topic/orders/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab-3/order-events',
      },
    ]);
  });
});
