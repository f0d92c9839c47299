import BallastCore

/// The `aws` provider's kinds and site configuration. Immutable and computed fields are marked
/// as AWS treats them: a queue's FIFO type and a table's keys cannot change in place.
enum AWSSchema {
    static let providerName = "aws"
    static let tags = FieldSchema("tags", .map(.string), default: .map(Fields()), summary: "Tags, key to value.")

    static let bucket = KindSchema(
        kind: "Bucket", summary: "An S3 bucket named after the resource.",
        fields: [
            FieldSchema("versioning", .bool, default: .bool(false), summary: "Keep every version of every object."),
            FieldSchema("blockPublicAccess", .bool, default: .bool(true), summary: "Block all public access (the four S3 public access block settings)."),
            FieldSchema("objectLock", .bool, default: .bool(false), immutable: true, summary: "S3 Object Lock, which is chosen when the bucket is created (needs `versioning: true`); changing it replaces the bucket."),
            tags,
        ],
        outputs: [
            FieldSchema("arn", .string, computed: true, summary: "arn:aws:s3:::NAME"),
            FieldSchema("region", .string, computed: true, summary: "The bucket's region."),
        ])

    static let queue = KindSchema(
        kind: "Queue", summary: "An SQS queue named after the resource (with .fifo appended for FIFO queues).",
        fields: [
            FieldSchema("visibilityTimeout", .int, default: .int(30), range: 0...43_200, summary: "Seconds a received message stays hidden (0 to 43200)."),
            FieldSchema("messageRetentionSeconds", .int, default: .int(345_600), range: 60...1_209_600, summary: "Seconds a message is kept (60 to 1209600)."),
            FieldSchema("delaySeconds", .int, default: .int(0), range: 0...900, summary: "Seconds every message is delayed (0 to 900)."),
            FieldSchema("fifo", .bool, default: .bool(false), immutable: true, summary: "A FIFO queue; changing it replaces the queue."),
            tags,
        ],
        outputs: [
            FieldSchema("url", .string, computed: true, summary: "The queue URL."),
            FieldSchema("arn", .string, computed: true, summary: "The queue ARN."),
        ])

    static let key = FieldSchema.FieldType.object([
        FieldSchema("name", .string, required: true, summary: "Attribute name."),
        FieldSchema("type", .string, required: true, allowed: ["HASH", "RANGE"], summary: "HASH (partition) or RANGE (sort)."),
    ])
    static let attribute = FieldSchema.FieldType.object([
        FieldSchema("name", .string, required: true, summary: "Attribute name."),
        FieldSchema("type", .string, required: true, allowed: ["S", "N", "B"], summary: "S (string), N (number) or B (binary)."),
    ])

    static let table = KindSchema(
        kind: "Table", summary: "A DynamoDB table named after the resource.",
        fields: [
            FieldSchema("keySchema", .list(key), required: true, immutable: true, summary: "The primary key: one HASH, optionally one RANGE."),
            FieldSchema("attributes", .list(attribute), required: true, immutable: true, summary: "Definitions of the key attributes."),
            FieldSchema("billingMode", .string, allowed: ["PAY_PER_REQUEST", "PROVISIONED"], default: .string("PAY_PER_REQUEST"), summary: "On-demand or provisioned capacity."),
            FieldSchema("readCapacity", .int, default: .int(5), range: 1...40_000, summary: "Read capacity units (PROVISIONED only)."),
            FieldSchema("writeCapacity", .int, default: .int(5), range: 1...40_000, summary: "Write capacity units (PROVISIONED only)."),
            tags,
        ],
        outputs: [
            FieldSchema("arn", .string, computed: true, summary: "The table ARN."),
            FieldSchema("status", .string, computed: true, summary: "CREATING, ACTIVE, UPDATING, …"),
        ])

    static let siteConfig: [FieldSchema] = [
        FieldSchema("region", .string, required: true, summary: "The AWS region, such as eu-central-1."),
        FieldSchema("endpoint", .string, summary: "An endpoint URL for every service (an emulator such as moto, a VPC endpoint, an S3-compatible cloud); S3 is then addressed path-style."),
        FieldSchema("profile", .string, summary: "The profile in ~/.aws/credentials or ~/.aws/config; else AWS_PROFILE, else the AWS_* variables, else default."),
        FieldSchema("timeoutSeconds", .int, default: .int(30), range: 1...3600, summary: "The timeout of every API call."),
    ]

    static let documentation = """
    S3 buckets, SQS queues and DynamoDB tables through the real AWS APIs (REST XML for S3, the
    JSON protocol for SQS and DynamoDB), over HTTPS with async-http-client, every request signed
    with AWS Signature Version 4. Each resource is named after `metadata.name` (a FIFO queue gets
    `.fifo` appended), in the site's region.

    **Credentials**, in the order the AWS CLI and SDKs use:
    1. `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, for temporary credentials, `AWS_SESSION_TOKEN`;
    2. the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`);
    3. the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`, sections `[profile NAME]`).

    The profile is the site's `spec.config.profile`, else `AWS_PROFILE`, else `default`; a site
    that names a profile ignores the `AWS_*` variables. Credentials never appear in logs, plans
    or errors. (Instance metadata, SSO and `credential_process` are not read.)

    **A real account**: leave `spec.config.endpoint` out, set `region`, and make credentials
    available as above; buckets are then addressed virtual-hosted
    (`NAME.s3.REGION.amazonaws.com`). **An emulator or an S3-compatible cloud**: set
    `spec.config.endpoint` (for moto: `http://127.0.0.1:5000`); every service goes to that URL
    and S3 is addressed path-style.

    **Errors**: throttling (`ThrottlingException`, `SlowDown`, `RequestLimitExceeded`, …), HTTP 5xx,
    refused connections and timeouts are retryable and are retried with backoff (observe three
    times, changes per the apply retry policy); validation and permission errors are terminal and
    carry AWS's code and message. An unreachable site is reported per site; the others go on.

    **Observe** lists each service once per site (ListBuckets, ListQueues, ListTables) and
    reads the details of what exists only; it never changes anything. Deleting a bucket that
    still holds objects fails (`BucketNotEmpty`): Ballast never deletes objects.
    """

    static var schema: ProviderSchema {
        ProviderSchema(provider: providerName, kinds: [bucket, queue, table], siteConfig: siteConfig, documentation: documentation)
    }
}
