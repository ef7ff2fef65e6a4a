// Deployment settings that depend on parameters, resolved by serverless.yml through ${file(./deploy/aws.cjs):NAME}.
// Each takes its values from `--param="NAME=value"` (or the params block of serverless.yml).

const param = async (resolveVariable, name) => {
  const value = await resolveVariable(`param:${name}, ''`);
  return typeof value === 'string' ? value.trim() : value;
};

const list = (value) =>
  value
    ? String(value)
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [];

/** MSK lives in a VPC: the functions join it when vpcSubnetIds and vpcSecurityGroupIds are given. */
module.exports.vpc = async ({ resolveVariable }) => {
  const subnetIds = list(await param(resolveVariable, 'vpcSubnetIds'));
  const securityGroupIds = list(await param(resolveVariable, 'vpcSecurityGroupIds'));
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return null;
  if (subnetIds.length === 0 || securityGroupIds.length === 0) {
    throw new Error('vpcSubnetIds and vpcSecurityGroupIds go together: give both, or neither');
  }
  return { subnetIds, securityGroupIds };
};

/** The functions' permissions beyond their logs: least privilege, each statement for one resource. */
module.exports.iamStatements = async ({ resolveVariable }) => [
  idempotencyTableStatement(),
  ...(await mskIamStatements(resolveVariable)),
];

/** Read and write Idempotency-Key records in the one table, nothing else of DynamoDB. */
const idempotencyTableStatement = () => ({
  Effect: 'Allow',
  Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  Resource: [{ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }],
});

/**
 * MSK IAM authentication: connect to the one cluster and write to the one topic (idempotently, as the
 * producer does by default). Without mskClusterArn (SASL/SCRAM, another cluster): no Kafka permission at all.
 */
const mskIamStatements = async (resolveVariable) => {
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
    {
      Effect: 'Allow',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
      Resource: [clusterArn],
    },
    {
      Effect: 'Allow',
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      Resource: [topicArn],
    },
  ];
};
