import AsyncHTTPClient
import BallastCore
import BallastProviders
import Foundation

/// The `aws` provider: S3 buckets, SQS queues and DynamoDB tables over the real AWS APIs,
/// signed with SigV4, on AWS or any endpoint that speaks them (`spec.config.endpoint`).
///
/// Resources are named after the resource (`metadata.name`; queues get `.fifo` when FIFO).
/// Observe lists each service once per site (ListBuckets, ListQueues, ListTables) and reads
/// details only of what exists; it never changes anything.
public struct AWSProvider: Provider {
    public let name = "aws"
    let client: AWSHTTPClient
    let credentials: AWSCredentialChain
    let now: @Sendable () -> Date

    public init(client: AWSHTTPClient, credentials: AWSCredentialChain = AWSCredentialChain(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.credentials = credentials
        self.now = now
    }

    public func schema() -> ProviderSchema { AWSSchema.schema }

    /// The three service clients for a site, from its config and the credential chain.
    struct Services {
        let s3: S3Service
        let sqs: SQSService
        let dynamodb: DynamoDBService
    }

    func services(_ site: Site) throws(ProviderError) -> Services {
        guard let region = site.config["region"]?.stringValue, !region.isEmpty else {
            throw ProviderError(.invalid, "site \(site.name): spec.config.region is required")
        }
        let found = try credentials.resolve(profile: site.config["profile"]?.stringValue)
        let override = site.config["endpoint"]?.stringValue
        let client = AWSClient(http: self.client.http, timeout: .seconds(max(1, site.config["timeoutSeconds"]?.intValue ?? 30)), now: now)
        func endpoint(_ service: String) throws(ProviderError) -> (AWSEndpoint, SigV4Signer) {
            (try AWSEndpoint.resolve(service: service, region: region, override: override), SigV4Signer(credentials: found, region: region, service: service))
        }
        let (s3Endpoint, s3Signer) = try endpoint("s3")
        let (sqsEndpoint, sqsSigner) = try endpoint("sqs")
        let (dynamoEndpoint, dynamoSigner) = try endpoint("dynamodb")
        return Services(
            s3: S3Service(client: client, signer: s3Signer, endpoint: s3Endpoint, region: region),
            sqs: SQSService(client: client, signer: sqsSigner, endpoint: sqsEndpoint),
            dynamodb: DynamoDBService(client: client, signer: dynamoSigner, endpoint: dynamoEndpoint))
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        let services = try services(site)
        var result: [ResourceID: Observed] = [:]
        let byKind = Dictionary(grouping: ids, by: \.kind)
        if let buckets = byKind["Bucket"] {
            let existing = try await services.s3.bucketNames()
            for id in buckets where existing.contains(id.name) {
                result[id] = Self.observed(id, spec: try await services.s3.observe(id.name), outputs: services.s3.outputs(id.name))
            }
        }
        if let queues = byKind["Queue"] {
            let urls = try await services.sqs.queueURLs()
            for id in queues {
                guard let url = urls[id.name] ?? urls[id.name + ".fifo"] else { continue }
                let (spec, outputs) = try await services.sqs.observe(url: url)
                result[id] = Self.observed(id, spec: spec, outputs: outputs)
            }
        }
        if let tables = byKind["Table"] {
            let existing = try await services.dynamodb.tableNames()
            for id in tables where existing.contains(id.name) {
                let (spec, outputs) = try await services.dynamodb.observe(id.name)
                result[id] = Self.observed(id, spec: spec, outputs: outputs)
            }
        }
        return result
    }

    /// Every bucket (ListBuckets), queue (ListQueues) and table (ListTables) of the account in
    /// the site's region. A FIFO queue's id drops its `.fifo` suffix, as its manifest does.
    public func list(site: Site) async throws(ProviderError) -> [Observed]? {
        let services = try services(site)
        var result: [Observed] = []
        for name in try await services.s3.bucketNames().sorted() {
            let id = ResourceID(kind: "Bucket", name: name, site: site.name)
            result.append(Self.observed(id, spec: try await services.s3.observe(name), outputs: services.s3.outputs(name)))
        }
        for (queue, url) in try await services.sqs.queueURLs().sorted(by: { $0.key < $1.key }) {
            let name = queue.hasSuffix(".fifo") ? String(queue.dropLast(5)) : queue
            let (spec, outputs) = try await services.sqs.observe(url: url)
            result.append(Self.observed(ResourceID(kind: "Queue", name: name, site: site.name), spec: spec, outputs: outputs))
        }
        for name in try await services.dynamodb.tableNames().sorted() {
            let (spec, outputs) = try await services.dynamodb.observe(name)
            result.append(Self.observed(ResourceID(kind: "Table", name: name, site: site.name), spec: spec, outputs: outputs))
        }
        return result.sorted { $0.id < $1.id }
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed {
        let services = try services(site)
        let id = resource.id
        switch id.kind {
        case "Bucket": try await services.s3.create(id.name, spec: resource.spec)
        case "Queue": _ = try await services.sqs.create(id.name, spec: resource.spec)
        case "Table": try await services.dynamodb.create(id.name, spec: resource.spec)
        default: throw ProviderError(.invalid, "the aws provider has no kind \(id.kind)", id: id)
        }
        return try await readBack(id, site: site)
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed {
        let services = try services(site)
        let id = resource.id
        switch id.kind {
        case "Bucket": try await services.s3.update(id.name, spec: resource.spec, current: current.spec)
        case "Queue":
            guard let url = current.outputs["url"]?.stringValue else { throw ProviderError(.notFound, "\(id) has no queue URL", id: id) }
            try await services.sqs.update(url: url, spec: resource.spec, current: current.spec)
        case "Table": try await services.dynamodb.update(id.name, spec: resource.spec, current: current.spec)
        default: throw ProviderError(.invalid, "the aws provider has no kind \(id.kind)", id: id)
        }
        return try await readBack(id, site: site)
    }

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) {
        let services = try services(site)
        switch id.kind {
        case "Bucket": try await services.s3.delete(id.name)
        case "Queue":
            let urls = try await services.sqs.queueURLs()
            if let url = urls[id.name] ?? urls[id.name + ".fifo"] { try await services.sqs.delete(url: url) }
        case "Table": try await services.dynamodb.delete(id.name)
        default: throw ProviderError(.invalid, "the aws provider has no kind \(id.kind)", id: id)
        }
    }

    /// What exists after a change, outputs included.
    private func readBack(_ id: ResourceID, site: Site) async throws(ProviderError) -> Observed {
        guard let observed = try await observe([id], site: site)[id] else {
            throw ProviderError(.conflict, "\(id) was changed but cannot be read back yet", id: id)
        }
        return observed
    }

    static func observed(_ id: ResourceID, spec: Fields, outputs: Fields) -> Observed {
        Observed(id: id, spec: spec, outputs: outputs, revision: String(SpecDigest.digest(Fields(["spec": .map(spec), "outputs": .map(outputs)])).prefix(16)))
    }
}
