// Thin koffi binding to librdkafka's mock cluster (rdkafka_mock.h): a real Kafka wire-protocol server that
// runs on librdkafka's own threads inside this process, so tests need neither a JVM nor Docker.
// The mock API is marked experimental upstream; everything used here exists in Debian's librdkafka1 2.0.2.
import koffi from 'koffi';

const LIBRARY = process.env.EMBEDDED_BROKER_LIBRDKAFKA ?? 'librdkafka.so.1';
const RD_KAFKA_PRODUCER = 0;
const RD_KAFKA_CONF_OK = 0;
/** The mock API treats broker id -1 as "every broker". */
export const ALL_BROKERS = -1;

// Pointers are BigInt in koffi 3; opaque handles never leave this module.
type Pointer = bigint | null;

const lib = koffi.load(LIBRARY);
const opaque = (name: string) => koffi.pointer(name, koffi.opaque());
opaque('rd_kafka_conf_t');
opaque('rd_kafka_t');
opaque('rd_kafka_mock_cluster_t');

const native = {
  confNew: lib.func('rd_kafka_conf_t rd_kafka_conf_new()'),
  confSet: lib.func(
    'int rd_kafka_conf_set(rd_kafka_conf_t conf, const char *name, const char *value, _Out_ uint8_t *errstr, size_t errstr_size)',
  ),
  confDestroy: lib.func('void rd_kafka_conf_destroy(rd_kafka_conf_t conf)'),
  kafkaNew: lib.func(
    'rd_kafka_t rd_kafka_new(int type, rd_kafka_conf_t conf, _Out_ uint8_t *errstr, size_t errstr_size)',
  ),
  kafkaDestroy: lib.func('void rd_kafka_destroy(rd_kafka_t rk)'),
  err2str: lib.func('const char *rd_kafka_err2str(int err)'),
  clusterNew: lib.func(
    'rd_kafka_mock_cluster_t rd_kafka_mock_cluster_new(rd_kafka_t rk, int broker_cnt)',
  ),
  clusterDestroy: lib.func('void rd_kafka_mock_cluster_destroy(rd_kafka_mock_cluster_t mcluster)'),
  bootstraps: lib.func(
    'const char *rd_kafka_mock_cluster_bootstraps(rd_kafka_mock_cluster_t mcluster)',
  ),
  topicCreate: lib.func(
    'int rd_kafka_mock_topic_create(rd_kafka_mock_cluster_t mcluster, const char *topic, int partition_cnt, int replication_factor)',
  ),
  partitionSetLeader: lib.func(
    'int rd_kafka_mock_partition_set_leader(rd_kafka_mock_cluster_t mcluster, const char *topic, int32_t partition, int32_t broker_id)',
  ),
  brokerSetDown: lib.func(
    'int rd_kafka_mock_broker_set_down(rd_kafka_mock_cluster_t mcluster, int32_t broker_id)',
  ),
  brokerSetUp: lib.func(
    'int rd_kafka_mock_broker_set_up(rd_kafka_mock_cluster_t mcluster, int32_t broker_id)',
  ),
  brokerSetRtt: lib.func(
    'int rd_kafka_mock_broker_set_rtt(rd_kafka_mock_cluster_t mcluster, int32_t broker_id, int rtt_ms)',
  ),
  pushRequestErrors: lib.func(
    'void rd_kafka_mock_push_request_errors_array(rd_kafka_mock_cluster_t mcluster, int16_t api_key, size_t cnt, const int *errors)',
  ),
  clearRequestErrors: lib.func(
    'void rd_kafka_mock_clear_request_errors(rd_kafka_mock_cluster_t mcluster, int16_t api_key)',
  ),
};

function check(err: number, what: string): void {
  if (err !== 0) throw new Error(`${what} failed: ${native.err2str(err) as string} (${err})`);
}

function cString(buffer: Buffer): string {
  const end = buffer.indexOf(0);
  return buffer.toString('utf8', 0, end === -1 ? buffer.length : end);
}

function newProducerHandle(): Pointer {
  const conf = native.confNew() as Pointer;
  const errstr = Buffer.alloc(512);
  // librdkafka logs to stderr by default; keep only real errors (syslog level 3) unless asked otherwise,
  // so broker-down and client-disconnect notices do not drown the test output.
  const settings: Record<string, string> = {
    log_level: process.env.EMBEDDED_BROKER_LOG_LEVEL ?? '3',
  };
  for (const [name, value] of Object.entries(settings)) {
    if (native.confSet(conf, name, value, errstr, errstr.length) !== RD_KAFKA_CONF_OK) {
      native.confDestroy(conf);
      throw new Error(`rd_kafka_conf_set(${name}) failed: ${cString(errstr)}`);
    }
  }
  // The handle only hosts the mock cluster (it has no bootstrap.servers, so it never connects anywhere).
  const rk = native.kafkaNew(RD_KAFKA_PRODUCER, conf, errstr, errstr.length) as Pointer;
  if (!rk) {
    native.confDestroy(conf); // rd_kafka_new only takes ownership of conf on success
    throw new Error(`rd_kafka_new failed: ${cString(errstr)}`);
  }
  return rk;
}

export class MockCluster {
  /** Comma-separated host:port list of the mock brokers, as librdkafka reports it. */
  readonly bootstraps: string;
  /** Broker ids are 1..brokerCount (mock convention). */
  readonly brokerIds: number[];
  private rk: Pointer;
  private mcluster: Pointer;
  private readonly apiKeysWithErrors = new Set<number>();

  constructor(brokerCount: number) {
    if (!Number.isInteger(brokerCount) || brokerCount < 1)
      throw new Error(`invalid broker count ${brokerCount}`);
    this.rk = newProducerHandle();
    this.mcluster = native.clusterNew(this.rk, brokerCount) as Pointer;
    if (!this.mcluster) {
      native.kafkaDestroy(this.rk);
      throw new Error('rd_kafka_mock_cluster_new failed (see librdkafka log on stderr)');
    }
    this.bootstraps = native.bootstraps(this.mcluster) as string;
    this.brokerIds = Array.from({ length: brokerCount }, (_, i) => i + 1);
  }

  /** host:port of each broker, in broker id order (the mock lists them that way). */
  brokerAddresses(): { id: number; host: string; port: number }[] {
    return this.bootstraps.split(',').map((address, i) => {
      const colon = address.lastIndexOf(':');
      return { id: i + 1, host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
    });
  }

  createTopic(name: string, partitions: number, replicationFactor = 1): void {
    check(
      native.topicCreate(this.handle(), name, partitions, replicationFactor),
      `create topic ${name}`,
    );
  }

  /** Moves a partition's leadership to that broker (the mock keeps it there, down or not). */
  setPartitionLeader(topic: string, partition: number, brokerId: number): void {
    check(
      native.partitionSetLeader(this.handle(), topic, partition, brokerId),
      `partition ${topic}/${partition} leader ${brokerId}`,
    );
  }

  /** Closes the broker's connections and rejects new ones; partition leadership does NOT move. */
  brokerDown(id: number): void {
    check(native.brokerSetDown(this.handle(), id), `broker ${id} down`);
  }

  brokerUp(id: number): void {
    check(native.brokerSetUp(this.handle(), id), `broker ${id} up`);
  }

  /** Delays every response of that broker by `ms`. */
  setRtt(id: number, ms: number): void {
    check(native.brokerSetRtt(this.handle(), id, ms), `broker ${id} rtt`);
  }

  /**
   * The next `codes.length` requests with this ApiKey (to any broker) fail with these Kafka error codes,
   * in order. Code -195 (RD_KAFKA_RESP_ERR__TRANSPORT) makes the broker drop the connection instead.
   */
  pushRequestErrors(apiKey: number, codes: number[]): void {
    if (codes.length === 0) return;
    native.pushRequestErrors(this.handle(), apiKey, codes.length, Int32Array.from(codes));
    this.apiKeysWithErrors.add(apiKey);
  }

  /** Drops queued errors for one ApiKey, or for every ApiKey errors were pushed for. */
  clearRequestErrors(apiKey?: number): void {
    const keys = apiKey === undefined ? [...this.apiKeysWithErrors] : [apiKey];
    for (const key of keys) {
      native.clearRequestErrors(this.handle(), key);
      this.apiKeysWithErrors.delete(key);
    }
  }

  /** Idempotent. Closes all mock listeners and connections, then frees the hosting handle. */
  destroy(): void {
    if (this.mcluster) native.clusterDestroy(this.mcluster);
    if (this.rk) native.kafkaDestroy(this.rk);
    this.mcluster = null;
    this.rk = null;
  }

  private handle(): bigint {
    if (!this.mcluster) throw new Error('mock cluster already destroyed');
    return this.mcluster;
  }
}
