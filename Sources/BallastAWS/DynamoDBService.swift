import BallastCore
import BallastProviders

/// Tables through the DynamoDB JSON protocol.
struct DynamoDBService: Sendable {
    let call: JSONProtocolCall

    init(client: AWSClient, signer: SigV4Signer, endpoint: AWSEndpoint) {
        call = JSONProtocolCall(client: client, signer: signer, endpoint: endpoint, targetPrefix: "DynamoDB_20120810", serviceName: "DynamoDB")
    }

    /// Every table name (ListTables, paged): one call for a whole site.
    func tableNames() async throws(ProviderError) -> Set<String> {
        var names = Set<String>()
        var start: String?
        repeat {
            var body: [String: Value] = ["Limit": .int(100)]
            if let start { body["ExclusiveStartTableName"] = .string(start) }
            let answer = try await call("ListTables", .map(Fields(body)))
            if case .list(let items)? = answer["TableNames"] { for item in items { if let name = item.stringValue { names.insert(name) } } }
            start = answer["LastEvaluatedTableName"]?.stringValue
        } while start != nil
        return names
    }

    func observe(_ name: String) async throws(ProviderError) -> (spec: Fields, outputs: Fields) {
        let table = try await call("DescribeTable", .map(Fields(["TableName": .string(name)])))["Table"]?.fieldsValue ?? Fields()
        let arn = table["TableArn"]?.stringValue ?? ""
        var tags = Fields()
        if !arn.isEmpty, case .list(let items)? = try await call("ListTagsOfResource", .map(Fields(["ResourceArn": .string(arn)])))["Tags"] {
            for case .map(let tag) in items { if let key = tag["Key"]?.stringValue { tags[key] = tag["Value"] ?? .string("") } }
        }
        func list(_ key: String, _ nameKey: String, _ typeKey: String) -> Value {
            guard case .list(let items)? = table[key] else { return .list([]) }
            return .list(items.compactMap { item in
                guard let fields = item.fieldsValue else { return nil }
                return .map(Fields(["name": fields[nameKey] ?? .null, "type": fields[typeKey] ?? .null]))
            })
        }
        let billing = table["BillingModeSummary"]?.fieldsValue?["BillingMode"]?.stringValue ?? "PROVISIONED"
        let throughput = table["ProvisionedThroughput"]?.fieldsValue ?? Fields()
        var spec = Fields([
            "keySchema": list("KeySchema", "AttributeName", "KeyType"),
            "attributes": list("AttributeDefinitions", "AttributeName", "AttributeType"),
            "billingMode": .string(billing),
            "tags": .map(tags),
        ])
        if billing == "PROVISIONED" {
            spec["readCapacity"] = throughput["ReadCapacityUnits"] ?? .null
            spec["writeCapacity"] = throughput["WriteCapacityUnits"] ?? .null
        }
        return (spec, Fields(["arn": .string(arn), "status": table["TableStatus"] ?? .null]))
    }

    private static func throughput(_ spec: Fields) -> Value {
        .map(Fields([
            "ReadCapacityUnits": .int(spec["readCapacity"]?.intValue ?? 5),
            "WriteCapacityUnits": .int(spec["writeCapacity"]?.intValue ?? 5),
        ]))
    }

    func create(_ name: String, spec: Fields) async throws(ProviderError) {
        func list(_ key: String, _ nameKey: String, _ typeKey: String) -> Value {
            guard case .list(let items)? = spec[key] else { return .list([]) }
            return .list(items.compactMap { item in
                guard let fields = item.fieldsValue else { return nil }
                return .map(Fields([nameKey: fields["name"] ?? .null, typeKey: fields["type"] ?? .null]))
            })
        }
        let billing = spec["billingMode"]?.stringValue ?? "PAY_PER_REQUEST"
        var body = Fields([
            "TableName": .string(name),
            "KeySchema": list("keySchema", "AttributeName", "KeyType"),
            "AttributeDefinitions": list("attributes", "AttributeName", "AttributeType"),
            "BillingMode": .string(billing),
        ])
        if billing == "PROVISIONED" { body["ProvisionedThroughput"] = Self.throughput(spec) }
        let tags = spec["tags"]?.fieldsValue ?? Fields()
        if !tags.isEmpty { body["Tags"] = .list(tags.map { .map(Fields(["Key": .string($0.key), "Value": $0.value])) }) }
        do throws(ProviderError) {
            _ = try await call("CreateTable", .map(body))
        } catch let error where error.message.contains("ResourceInUseException") {
            // It exists already (a retried create): converge what can change in place.
            try await update(name, spec: spec, current: nil)
        }
    }

    func update(_ name: String, spec: Fields, current: Fields?) async throws(ProviderError) {
        let observed: Fields
        if let current { observed = current } else { observed = try await observe(name).spec }
        let billing = spec["billingMode"]?.stringValue ?? "PAY_PER_REQUEST"
        let capacityChanged = billing == "PROVISIONED"
            && (observed["readCapacity"] != spec["readCapacity"] || observed["writeCapacity"] != spec["writeCapacity"])
        if observed["billingMode"]?.stringValue != billing || capacityChanged {
            var body = Fields(["TableName": .string(name), "BillingMode": .string(billing)])
            if billing == "PROVISIONED" { body["ProvisionedThroughput"] = Self.throughput(spec) }
            _ = try await call("UpdateTable", .map(body))
        }
        let tags = spec["tags"]?.fieldsValue ?? Fields()
        let existing = observed["tags"]?.fieldsValue ?? Fields()
        guard tags != existing else { return }
        let arn = try await call("DescribeTable", .map(Fields(["TableName": .string(name)])))["Table"]?.fieldsValue?["TableArn"]?.stringValue ?? ""
        let removed = existing.keys.filter { tags[$0] == nil }
        if !removed.isEmpty {
            _ = try await call("UntagResource", .map(Fields(["ResourceArn": .string(arn), "TagKeys": .list(removed.map(Value.string))])))
        }
        // Only the pairs that are new or different (tagging again what is there already can
        // duplicate it on some implementations).
        let changed = tags.filter { existing[$0.key] != $0.value }
        if !changed.isEmpty {
            _ = try await call("TagResource", .map(Fields(["ResourceArn": .string(arn), "Tags": .list(changed.map { .map(Fields(["Key": .string($0.key), "Value": $0.value])) })])))
        }
    }

    func delete(_ name: String) async throws(ProviderError) {
        do throws(ProviderError) {
            _ = try await call("DeleteTable", .map(Fields(["TableName": .string(name)])))
        } catch let error where error.code == .notFound {
            return
        }
    }
}
