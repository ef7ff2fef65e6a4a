// One IAM role per kind of function, each with only what its functions use, resolved by serverless.yml through
// ${file(./deploy/roles.cjs):NAME}. serverless 3 gives every function of a service one shared role by default;
// here each function names its own (`role:` in serverless.yml) and no shared role is generated:
// - OpenapiRole: its functions' logs, nothing else (openapi and asyncapi serve documents built from
//   the schemas);
// - HealthRole: its logs, reading the SASL password's secret, and with MSK IAM only connecting to the cluster and
//   describing it and the one topic;
// - PublisherRole: its functions' logs, the Idempotency-Key table, reading the SASL password's secret, and with
//   MSK IAM writing to the one topic.
// The secret only with kafkaSaslPasswordSecretArn (SCRAM/PLAIN): GetSecretValue on that one secret and, with
// kafkaSaslPasswordKmsKeyArn, kms:Decrypt on its key through Secrets Manager only. The Kafka actions only with
// mskClusterArn (MSK IAM).
// A role writes only to the log groups of the functions that use it. In a VPC, each role of a function that
// reaches the brokers also gets, inline, the six EC2 actions on the network interfaces Lambda creates there
// (vpcStatement below), not AWS's managed policy for them.

const { param, list } = require('./params.cjs');

const lambdaTrust = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: ['lambda.amazonaws.com'] },
      Action: ['sts:AssumeRole'],
    },
  ],
};

/** The log groups serverless creates for the functions that name this role: `<Name>LogGroup`. */
const logStatement = async (resolveVariable, roleName) => {
  const functions = (await resolveVariable('self:functions')) ?? {};
  const logGroups = Object.entries(functions)
    .filter(([, fn]) => fn && fn.role === roleName)
    .map(([name]) => ({ 'Fn::GetAtt': [`${logicalIdOf(name)}LogGroup`, 'Arn'] }));
  if (logGroups.length === 0)
    throw new Error(`No function in serverless.yml uses the role ${roleName}`);
  return {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: logGroups,
  };
};

// serverless's own naming: the first letter upper-cased, '-' as 'Dash' and '_' as 'Underscore'.
const logicalIdOf = (functionName) =>
  `${functionName.charAt(0).toUpperCase()}${functionName.slice(1)}`
    .replace(/-/g, 'Dash')
    .replace(/_/g, 'Underscore');

/**
 * What Lambda needs to place a function in a VPC: its network interfaces, and nothing more. Not AWS's managed
 * AWSLambdaVPCAccessExecutionRole, which also grants writing to every log group of the account ("*") and so would
 * undo the per-function log statement above. EC2 scopes none of these to a resource; the managed policy does not
 * either.
 */
const vpcStatement = {
  Effect: 'Allow',
  Action: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  Resource: '*',
};

const role = async (resolveVariable, roleName, statements, { inVpc }) => {
  const joinsVpc = inVpc && list(await param(resolveVariable, 'vpcSubnetIds')).length > 0;
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: lambdaTrust,
      Policies: [
        {
          PolicyName: roleName,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              await logStatement(resolveVariable, roleName),
              ...(joinsVpc ? [vpcStatement] : []),
              ...statements,
            ],
          },
        },
      ],
    },
  };
};

/** The OpenAPI document: nothing but its logs, and outside any VPC (it reaches nothing). */
module.exports.openapiRole = async ({ resolveVariable }) =>
  role(resolveVariable, 'OpenapiRole', [], { inVpc: false });

/** The health check: connect and describe, never write. */
module.exports.healthRole = async ({ resolveVariable }) =>
  role(
    resolveVariable,
    'HealthRole',
    [
      ...(await mskIamStatements(resolveVariable, {
        cluster: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        topic: ['kafka-cluster:DescribeTopic'],
      })),
      ...(await secretStatements(resolveVariable)),
    ],
    { inVpc: true },
  );

/** The publishing functions: the Idempotency-Key table, writing to the one topic, the SASL password's secret. */
module.exports.publisherRole = async ({ resolveVariable }) =>
  role(
    resolveVariable,
    'PublisherRole',
    [
      idempotencyTableStatement(),
      ...(await mskIamStatements(resolveVariable, {
        cluster: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        topic: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      })),
      ...(await secretStatements(resolveVariable)),
    ],
    { inVpc: true },
  );

/** Read and write Idempotency-Key records in the one table, nothing else of DynamoDB. */
const idempotencyTableStatement = () => ({
  Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  Resource: [{ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }],
});

/**
 * MSK IAM authentication: the given actions on the one cluster and the one topic. Without mskClusterArn
 * (SASL/SCRAM, another cluster): no Kafka permission at all.
 */
const mskIamStatements = async (resolveVariable, actions) => {
  const clusterArn = await param(resolveVariable, 'mskClusterArn');
  if (!clusterArn) return [];
  const match = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/.exec(
    clusterArn,
  );
  if (!match) throw new Error(`mskClusterArn is not an MSK cluster ARN: ${clusterArn}`);
  const [, partition, region, account, clusterName, clusterUuid] = match;
  const topic = (await param(resolveVariable, 'topic')) || 'order-events';
  const topicArn = `arn:${partition}:kafka:${region}:${account}:topic/${clusterName}/${clusterUuid}/${topic}`;
  return [
    { Effect: 'Allow', Action: actions.cluster, Resource: [clusterArn] },
    { Effect: 'Allow', Action: actions.topic, Resource: [topicArn] },
  ];
};

/**
 * The SASL password's secret: read that one secret, and, when it is encrypted with a key of your own (as
 * Amazon MSK requires of SCRAM secrets), decrypt with that key only through Secrets Manager.
 */
const secretStatements = async (resolveVariable) => {
  const secretArn = await kafkaSaslPasswordSecretArn({ resolveVariable });
  if (!secretArn) return [];
  const statements = [
    { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] },
  ];
  const keyArn = await param(resolveVariable, 'kafkaSaslPasswordKmsKeyArn');
  if (keyArn) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(keyArn))
      throw new Error(`kafkaSaslPasswordKmsKeyArn is not a KMS key ARN: ${keyArn}`);
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [keyArn],
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
          },
        },
      },
    });
  }
  return statements;
};

/** The secret holding the SCRAM/PLAIN password: its full ARN (IAM grants on ARNs), or '' without one. */
const kafkaSaslPasswordSecretArn = async ({ resolveVariable }) => {
  const arn = await param(resolveVariable, 'kafkaSaslPasswordSecretArn');
  if (
    arn &&
    !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(arn)
  )
    throw new Error(
      `kafkaSaslPasswordSecretArn is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX): ${arn}`,
    );
  return arn;
};
module.exports.kafkaSaslPasswordSecretArn = kafkaSaslPasswordSecretArn;
