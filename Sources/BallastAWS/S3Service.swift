import BallastCore
import BallastProviders
import Crypto
import Foundation

/// Buckets through the S3 REST API (XML).
struct S3Service: Sendable {
    let client: AWSClient
    let signer: SigV4Signer
    let endpoint: AWSEndpoint
    let region: String

    /// The host and path for a bucket-level call: path-style with an endpoint override,
    /// virtual-hosted on AWS.
    private func address(_ bucket: String?) -> (host: String, path: String) {
        guard let bucket else { return (endpoint.authority, "/") }
        return endpoint.pathStyle ? (endpoint.authority, "/\(bucket)") : ("\(bucket).\(endpoint.authority)", "/")
    }

    private func call(_ method: String, bucket: String?, subresource: String? = nil, body: String = "", extraHeaders: [(String, String)] = [], operation: String, accept: Set<Int> = []) async throws(ProviderError) -> AWSClient.Response {
        let (host, path) = address(bucket)
        var headers = extraHeaders
        let bytes = Array(body.utf8)
        if !bytes.isEmpty {
            headers.append(("Content-Type", "application/xml"))
            headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()))
        }
        let request = SigV4Signer.Request(method: method, host: host, path: path, query: subresource.map { [($0, "")] } ?? [], headers: headers, body: bytes)
        return try await client.send(request, signer: signer, endpoint: endpoint, operation: "S3 \(operation)", accept: accept)
    }

    /// The names of every bucket the credentials own (one ListBuckets call).
    func bucketNames() async throws(ProviderError) -> Set<String> {
        let response = try await call("GET", bucket: nil, operation: "ListBuckets")
        guard let tree = XMLTree.parse(response.body) else { throw ProviderError(.failed, "S3 ListBuckets: the answer is not XML") }
        return Set(tree.all("Bucket").compactMap { $0.value("Name") })
    }

    func observe(_ name: String) async throws(ProviderError) -> Fields {
        let versioning = try await call("GET", bucket: name, subresource: "versioning", operation: "GetBucketVersioning")
        let status = XMLTree.parse(versioning.body)?.value("Status") ?? ""
        let tagging = try await call("GET", bucket: name, subresource: "tagging", operation: "GetBucketTagging", accept: [404])
        var tags = Fields()
        if tagging.status == 200, let tree = XMLTree.parse(tagging.body) {
            for tag in tree.all("Tag") { if let key = tag.value("Key") { tags[key] = .string(tag.value("Value") ?? "") } }
        }
        let block = try await call("GET", bucket: name, subresource: "publicAccessBlock", operation: "GetPublicAccessBlock", accept: [404])
        var blocked = false
        if block.status == 200, let tree = XMLTree.parse(block.body) {
            blocked = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"].allSatisfy { tree.value($0) == "true" }
        }
        let lock = try await call("GET", bucket: name, subresource: "object-lock", operation: "GetObjectLockConfiguration", accept: [404])
        let locked = lock.status == 200 && XMLTree.parse(lock.body)?.value("ObjectLockEnabled") == "Enabled"
        return Fields([
            "objectLock": .bool(locked),
            "versioning": .bool(status == "Enabled"),
            "blockPublicAccess": .bool(blocked),
            "tags": .map(tags),
        ])
    }

    func outputs(_ name: String) -> Fields {
        Fields(["arn": .string("arn:aws:s3:::\(name)"), "region": .string(region)])
    }

    func create(_ name: String, spec: Fields) async throws(ProviderError) {
        let configuration = region == "us-east-1" ? "" :
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(XMLTree.escape(region))</LocationConstraint></CreateBucketConfiguration>"
        let objectLock = spec["objectLock"]?.boolValue ?? false
        if objectLock && spec["versioning"]?.boolValue != true {
            throw ProviderError(.invalid, "S3 CreateBucket: objectLock needs versioning: true (S3 keeps versioning on for locked buckets)")
        }
        do throws(ProviderError) {
            _ = try await call("PUT", bucket: name, body: configuration, extraHeaders: objectLock ? [("x-amz-bucket-object-lock-enabled", "true")] : [], operation: "CreateBucket")
        } catch let error where error.message.contains("BucketAlreadyOwnedByYou") {
            // Ours already (a retried create): adopt it and converge its settings below.
        }
        try await update(name, spec: spec, current: nil)
    }

    /// Sets what differs from `current` (everything when nil).
    func update(_ name: String, spec: Fields, current: Fields?) async throws(ProviderError) {
        let versioning = spec["versioning"]?.boolValue ?? false
        if current?["versioning"]?.boolValue != versioning, versioning || current != nil {
            let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>\(versioning ? "Enabled" : "Suspended")</Status></VersioningConfiguration>"
            _ = try await call("PUT", bucket: name, subresource: "versioning", body: body, operation: "PutBucketVersioning")
        }
        let tags = spec["tags"]?.fieldsValue ?? Fields()
        if current?["tags"] != .map(tags) {
            if tags.isEmpty {
                if current != nil { _ = try await call("DELETE", bucket: name, subresource: "tagging", operation: "DeleteBucketTagging", accept: [404]) }
            } else {
                let set = tags.map { "<Tag><Key>\(XMLTree.escape($0.key))</Key><Value>\(XMLTree.escape($0.value.stringValue ?? ""))</Value></Tag>" }.joined()
                _ = try await call("PUT", bucket: name, subresource: "tagging", body: "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>\(set)</TagSet></Tagging>", operation: "PutBucketTagging")
            }
        }
        let block = spec["blockPublicAccess"]?.boolValue ?? true
        if current?["blockPublicAccess"]?.boolValue != block {
            if block {
                let flags = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"].map { "<\($0)>true</\($0)>" }.joined()
                _ = try await call("PUT", bucket: name, subresource: "publicAccessBlock", body: "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(flags)</PublicAccessBlockConfiguration>", operation: "PutPublicAccessBlock")
            } else if current != nil {
                _ = try await call("DELETE", bucket: name, subresource: "publicAccessBlock", operation: "DeletePublicAccessBlock", accept: [404])
            }
        }
    }

    func delete(_ name: String) async throws(ProviderError) {
        _ = try await call("DELETE", bucket: name, operation: "DeleteBucket", accept: [404])
    }
}
