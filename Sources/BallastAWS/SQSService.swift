import BallastCore
import BallastProviders

/// Queues through the SQS JSON protocol.
struct SQSService: Sendable {
    let call: JSONProtocolCall

    init(client: AWSClient, signer: SigV4Signer, endpoint: AWSEndpoint) {
        call = JSONProtocolCall(client: client, signer: signer, endpoint: endpoint, targetPrefix: "AmazonSQS", serviceName: "SQS")
    }

    static func queueName(_ name: String, spec: Fields) -> String {
        spec["fifo"]?.boolValue == true ? name + ".fifo" : name
    }

    /// Every queue URL by queue name (ListQueues, paged): one call for a whole site.
    func queueURLs() async throws(ProviderError) -> [String: String] {
        var urls: [String: String] = [:]
        var token: String?
        repeat {
            var body: [String: Value] = ["MaxResults": .int(1000)]
            if let token { body["NextToken"] = .string(token) }
            let answer = try await call("ListQueues", .map(Fields(body)))
            if case .list(let items)? = answer["QueueUrls"] {
                for item in items { if let url = item.stringValue, let name = url.split(separator: "/").last { urls[String(name)] = url } }
            }
            token = answer["NextToken"]?.stringValue
        } while token != nil
        return urls
    }

    func observe(url: String) async throws(ProviderError) -> (spec: Fields, outputs: Fields) {
        let attributes = try await call("GetQueueAttributes", .map(Fields(["QueueUrl": .string(url), "AttributeNames": .list([.string("All")])])))["Attributes"]?.fieldsValue ?? Fields()
        let tagAnswer = try await call("ListQueueTags", .map(Fields(["QueueUrl": .string(url)])))
        func int(_ name: String) -> Value { attributes[name]?.stringValue.flatMap(Int.init).map(Value.int) ?? .null }
        let spec = Fields([
            "visibilityTimeout": int("VisibilityTimeout"),
            "messageRetentionSeconds": int("MessageRetentionPeriod"),
            "delaySeconds": int("DelaySeconds"),
            "fifo": .bool(attributes["FifoQueue"]?.stringValue == "true"),
            "tags": .map(tagAnswer["Tags"]?.fieldsValue ?? Fields()),
        ])
        return (spec, Fields(["url": .string(url), "arn": attributes["QueueArn"] ?? .null]))
    }

    static func attributes(_ spec: Fields) -> Fields {
        Fields([
            "VisibilityTimeout": .string(String(spec["visibilityTimeout"]?.intValue ?? 30)),
            "MessageRetentionPeriod": .string(String(spec["messageRetentionSeconds"]?.intValue ?? 345_600)),
            "DelaySeconds": .string(String(spec["delaySeconds"]?.intValue ?? 0)),
        ])
    }

    func create(_ name: String, spec: Fields) async throws(ProviderError) -> String {
        var attributes = Self.attributes(spec)
        if spec["fifo"]?.boolValue == true { attributes["FifoQueue"] = .string("true") }
        var body = Fields(["QueueName": .string(Self.queueName(name, spec: spec)), "Attributes": .map(attributes)])
        let tags = spec["tags"]?.fieldsValue ?? Fields()
        if !tags.isEmpty { body["tags"] = .map(tags) }
        do throws(ProviderError) {
            let answer = try await call("CreateQueue", .map(body))
            guard let url = answer["QueueUrl"]?.stringValue else { throw ProviderError(.failed, "SQS CreateQueue: no QueueUrl in the answer") }
            return url
        } catch let error where error.message.contains("QueueAlreadyExists") || error.message.contains("QueueNameExists") {
            // It exists with other attributes (a retried create, or drift): converge it.
            let answer = try await call("GetQueueUrl", .map(Fields(["QueueName": .string(Self.queueName(name, spec: spec))])))
            guard let url = answer["QueueUrl"]?.stringValue else { throw error }
            try await update(url: url, spec: spec, current: nil)
            return url
        }
    }

    func update(url: String, spec: Fields, current: Fields?) async throws(ProviderError) {
        _ = try await call("SetQueueAttributes", .map(Fields(["QueueUrl": .string(url), "Attributes": .map(Self.attributes(spec))])))
        let tags = spec["tags"]?.fieldsValue ?? Fields()
        var existing = current?["tags"]?.fieldsValue ?? Fields()
        if current == nil {
            existing = try await call("ListQueueTags", .map(Fields(["QueueUrl": .string(url)])))["Tags"]?.fieldsValue ?? Fields()
        }
        let removed = existing.keys.filter { tags[$0] == nil }
        if !removed.isEmpty {
            _ = try await call("UntagQueue", .map(Fields(["QueueUrl": .string(url), "TagKeys": .list(removed.map(Value.string))])))
        }
        let changed = Fields(tags.filter { existing[$0.key] != $0.value }.map { ($0.key, $0.value) })
        if !changed.isEmpty {
            _ = try await call("TagQueue", .map(Fields(["QueueUrl": .string(url), "Tags": .map(changed)])))
        }
    }

    func delete(url: String) async throws(ProviderError) {
        do throws(ProviderError) {
            _ = try await call("DeleteQueue", .map(Fields(["QueueUrl": .string(url)])))
        } catch let error where error.code == .notFound {
            return
        }
    }
}
