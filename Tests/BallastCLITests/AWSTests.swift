import BallastCore
import BallastProviders
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)

/// One moto_server for the suite, started on a free port on first use; reset before each test.
private let moto = Task { try await MotoServer() }

/// A private estate against moto, run with the real CLI; boto3 checks and drifts out of band.
private struct Estate {
    let directory = TemporaryDirectory(prefix: "ballast-aws")
    let runner = CLIRunner(workingDirectory: root)
    let endpoint: String
    var state: String { directory.file("state") }
    var manifests: String { directory.file("manifests") }
    static let environment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-central-1"]

    init(_ resources: String, extraSites: String = "") async throws {
        try #require(runner.isAvailable, "build the CLI first: swift build")
        let server = try await moto.value
        try await server.reset()
        endpoint = server.endpoint
        directory.write("manifests/sites.yaml", """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: aws-eu }
        spec:
          class: cloud
          provider: aws
          config: { region: eu-central-1, endpoint: "\(endpoint)" }
        \(extraSites)
        """)
        directory.write("manifests/resources.yaml", resources)
        // A directory made for the state: `plan` on it plans a new estate.
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    }

    func edit(_ transform: (String) -> String) throws {
        let path = manifests + "/resources.yaml"
        try Data(transform(try String(contentsOfFile: path, encoding: .utf8)).utf8).write(to: URL(fileURLWithPath: path))
    }

    @discardableResult
    func ballast(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await runner.run(arguments + ["--state", state], environment: Self.environment)
    }

    func apply() async throws -> CLIRunner.Result { try await ballast(["apply", manifests, "--auto-approve"]) }
    func plan() async throws -> CLIRunner.Result { try await ballast(["plan", manifests, "--detailed-exitcode"]) }

    /// Runs Python with boto3 clients `s3`, `sqs` and `ddb` on moto; returns what it prints.
    func boto(_ code: String) throws -> String {
        let script = """
        import boto3, json
        kw = dict(endpoint_url="\(endpoint)", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        s3 = boto3.client("s3", **kw); sqs = boto3.client("sqs", **kw); ddb = boto3.client("dynamodb", **kw)
        \(code)
        """
        let process = try ChildProcess("/usr/bin/env", ["python3", "-c", script], output: .pipe, errors: .pipe)
        defer { for case let descriptor? in [process.output, process.errors] { close(descriptor) } }
        let data = process.output.map(ProcessRunner.readAll) ?? []
        let errorData = process.errors.map(ProcessRunner.readAll) ?? []
        guard process.wait() == 0 else { throw TestServerUnavailable(description: "boto3 failed: \(String(decoding: errorData, as: UTF8.self))") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite("aws provider against moto", .serialized)
struct AWSTests {
    @Test func bucketLifecycle() async throws {
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: artifacts, site: aws-eu }
        spec:
          tags: { team: platform }
          versioning: true

        """)
        defer { estate.directory.remove() }
        let created = try await estate.apply()
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try estate.boto(#"print(s3.get_bucket_versioning(Bucket="artifacts")["Status"])"#) == "Enabled")
        #expect(try estate.boto(#"print(s3.get_bucket_tagging(Bucket="artifacts")["TagSet"])"#) == "[{'Key': 'team', 'Value': 'platform'}]")
        #expect(try estate.boto(#"print(s3.get_public_access_block(Bucket="artifacts")["PublicAccessBlockConfiguration"]["BlockPublicAcls"])"#) == "True")
        #expect(try await estate.plan().exitCode == 0)
        // Drift out of band: tags changed, versioning suspended.
        _ = try estate.boto(#"s3.put_bucket_tagging(Bucket="artifacts", Tagging={"TagSet": [{"Key": "team", "Value": "intruder"}]}); s3.put_bucket_versioning(Bucket="artifacts", VersioningConfiguration={"Status": "Suspended"})"#)
        let drifted = try await estate.plan()
        #expect(drifted.exitCode == 2)
        #expect(drifted.stdout.contains("(drifted)") && drifted.stdout.contains(#""intruder" → "platform""#) && drifted.stdout.contains("versioning: false → true"))
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(#"print(s3.get_bucket_tagging(Bucket="artifacts")["TagSet"][0]["Value"], s3.get_bucket_versioning(Bucket="artifacts")["Status"])"#) == "platform Enabled")
        // Deleted out of band: recreated.
        _ = try estate.boto(#"s3.delete_bucket(Bucket="artifacts")"#)
        #expect(try await estate.plan().stdout.contains("vanished"))
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(#"print([b["Name"] for b in s3.list_buckets()["Buckets"]])"#) == "['artifacts']")
        // Object Lock is chosen at creation: turning it on replaces the bucket.
        try estate.edit { $0 + "  objectLock: true\n" }
        let replacePlan = try await estate.plan()
        #expect(replacePlan.stdout.contains("-/+ Bucket/artifacts@aws-eu") && replacePlan.stdout.contains("forces replacement"), "\(replacePlan.stdout)")
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(#"print(s3.get_object_lock_configuration(Bucket="artifacts")["ObjectLockConfiguration"]["ObjectLockEnabled"])"#) == "Enabled")
        #expect(try await estate.plan().exitCode == 0)
        let destroyed = try await estate.ballast(["destroy", estate.manifests, "--auto-approve"])
        #expect(destroyed.exitCode == 0, "\(destroyed.stderr)")
        #expect(try estate.boto(#"print(len(s3.list_buckets()["Buckets"]))"#) == "0")
    }

    /// A bucket and a queue made out of band with boto3 are found by `unmanaged` (exit 2);
    /// `.ballastignore` silences the queue; `import` adopts the bucket, and the next plan is empty.
    @Test func unmanagedFindsWhatBoto3MadeAndImportAdoptsIt() async throws {
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: declared, site: aws-eu }
        spec: {}

        """)
        defer { estate.directory.remove() }
        #expect(try await estate.apply().exitCode == 0)
        _ = try estate.boto(#"s3.create_bucket(Bucket="stray", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}); s3.put_bucket_versioning(Bucket="stray", VersioningConfiguration={"Status": "Enabled"}); sqs.create_queue(QueueName="leftover")"#)
        let found = try await estate.ballast(["unmanaged", estate.manifests])
        #expect(found.exitCode == 2, "\(found.stderr)")
        #expect(found.stdout.contains("  ? Bucket/stray@aws-eu\n") && found.stdout.contains("  ? Queue/leftover@aws-eu\n"), "\(found.stdout)")
        #expect(!found.stdout.contains("Bucket/declared"))

        estate.directory.write("manifests/.ballastignore", "# known: the team's scratch queue\nQueue/left*@aws-eu\n")
        let ignored = try await estate.ballast(["unmanaged", estate.manifests, "-o", "json"])
        #expect(ignored.exitCode == 2)
        #expect(ignored.stdout.contains(#""ignored": 1"#) && !ignored.stdout.contains("leftover"), "\(ignored.stdout)")

        let imported = try await estate.ballast(["import", "Bucket/stray@aws-eu", estate.manifests, "--to", estate.manifests + "/imported.yaml"])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        let manifest = try String(contentsOfFile: estate.manifests + "/imported.yaml", encoding: .utf8)
        #expect(manifest.contains("kind: Bucket") && manifest.contains("  versioning: true"), "\(manifest)")
        #expect(try await estate.plan().exitCode == 0, "the imported bucket plans as up to date")
        #expect(try await estate.ballast(["unmanaged", estate.manifests]).exitCode == 0)
        #expect(try await estate.ballast(["events"]).stdout.contains("Bucket/stray@aws-eu adopted"))
    }

    @Test func queueLifecycle() async throws {
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Queue
        metadata: { name: orders, site: aws-eu }
        spec:
          visibilityTimeout: 60
          delaySeconds: 2
          tags: { team: payments }
        """)
        defer { estate.directory.remove() }
        let created = try await estate.apply()
        #expect(created.exitCode == 0, "\(created.stderr)")
        let attributes = #"a = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="orders")["QueueUrl"], AttributeNames=["All"])["Attributes"]; print(a["VisibilityTimeout"], a["DelaySeconds"])"#
        #expect(try estate.boto(attributes) == "60 2")
        #expect(try await estate.plan().exitCode == 0)
        _ = try estate.boto(#"sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="orders")["QueueUrl"], Attributes={"VisibilityTimeout": "5"})"#)
        let drifted = try await estate.plan()
        #expect(drifted.exitCode == 2 && drifted.stdout.contains("visibilityTimeout: 5 → 60"))
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(attributes) == "60 2")
        // fifo cannot change in place: the queue is replaced by orders.fifo.
        try estate.edit { $0.replacingOccurrences(of: "delaySeconds: 2", with: "delaySeconds: 2\n  fifo: true") }
        let replacePlan = try await estate.plan()
        #expect(replacePlan.stdout.contains("-/+ Queue/orders@aws-eu") && replacePlan.stdout.contains("forces replacement"))
        let replaced = try await estate.apply()
        #expect(replaced.exitCode == 0, "\(replaced.stderr)")
        #expect(try estate.boto(#"print(sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])))"#) == "['orders.fifo']")
        #expect(try await estate.plan().exitCode == 0)
        #expect(try await estate.ballast(["destroy", estate.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try estate.boto(#"print(len(sqs.list_queues().get("QueueUrls", [])))"#) == "0")
    }

    @Test func tableLifecycle() async throws {
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Table
        metadata: { name: sessions, site: aws-eu }
        spec:
          keySchema: [{ name: userId, type: HASH }]
          attributes: [{ name: userId, type: S }]
          tags: { team: identity }
        """)
        defer { estate.directory.remove() }
        let created = try await estate.apply()
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try estate.boto(#"t = ddb.describe_table(TableName="sessions")["Table"]; print(t["TableStatus"], t["BillingModeSummary"]["BillingMode"])"#) == "ACTIVE PAY_PER_REQUEST")
        #expect(try await estate.plan().exitCode == 0)
        _ = try estate.boto(#"arn = ddb.describe_table(TableName="sessions")["Table"]["TableArn"]; ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "someone"}])"#)
        let drifted = try await estate.plan()
        #expect(drifted.exitCode == 2 && drifted.stdout.contains("tags.owner"))
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(#"arn = ddb.describe_table(TableName="sessions")["Table"]["TableArn"]; print(sorted(t["Key"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]))"#) == "['team']")
        // The key schema is immutable: a new key means a new table.
        try estate.edit { $0.replacingOccurrences(of: "[{ name: userId, type: HASH }]", with: "[{ name: userId, type: HASH }, { name: at, type: RANGE }]")
            .replacingOccurrences(of: "[{ name: userId, type: S }]", with: "[{ name: userId, type: S }, { name: at, type: N }]") }
        let replacePlan = try await estate.plan()
        #expect(replacePlan.stdout.contains("-/+ Table/sessions@aws-eu"))
        #expect(try await estate.apply().exitCode == 0)
        #expect(try estate.boto(#"print(len(ddb.describe_table(TableName="sessions")["Table"]["KeySchema"]))"#) == "2")
        #expect(try await estate.ballast(["destroy", estate.manifests, "--auto-approve"]).exitCode == 0)
        #expect(try estate.boto(#"print(ddb.list_tables()["TableNames"])"#) == "[]")
    }

    @Test func unreachableAndThrottledSitesAreClearAndOthersGoOn() async throws {
        let throttler = try ThrottlingServer()
        defer { throttler.stop() }
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Queue
        metadata: { name: works, site: aws-eu }
        ---
        apiVersion: ballast.dev/v1
        kind: Queue
        metadata: { name: refused, site: aws-down }
        ---
        apiVersion: ballast.dev/v1
        kind: Table
        metadata: { name: busy, site: aws-busy }
        spec:
          keySchema: [{ name: id, type: HASH }]
          attributes: [{ name: id, type: S }]
        """, extraSites: """
        ---
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: aws-down }
        spec: { class: cloud, provider: aws, config: { region: eu-central-1, endpoint: "http://127.0.0.1:\(try FreePort.find())" } }
        ---
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: aws-busy }
        spec: { class: cloud, provider: aws, config: { region: eu-central-1, endpoint: "\(throttler.endpoint)" } }
        """)
        defer { estate.directory.remove() }
        let result = try await estate.apply()
        #expect(result.stdout.contains("+ Queue/works@aws-eu created"), "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Queue/refused@aws-down") && result.stdout.contains("connection refused"))
        #expect(result.stdout.contains("Table/busy@aws-busy") && result.stdout.contains("ThrottlingException: Rate exceeded"))
        #expect(try estate.boto(#"print(sqs.get_queue_url(QueueName="works")["QueueUrl"].rsplit("/", 1)[1])"#) == "works")
        #expect(throttler.requests() >= 3, "a throttled call is retried")
        // Credentials never leak into what Ballast prints.
        #expect(!result.stdout.contains("testing") && !result.stderr.contains("testing"))
    }

    @Test func aWrongEndpointIsAClearError() async throws {
        let estate = try await Estate("""
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: nowhere, site: aws-eu }
        """)
        defer { estate.directory.remove() }
        try Data("""
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: aws-eu }
        spec: { class: cloud, provider: aws, config: { region: eu-central-1, endpoint: "not a url" } }
        """.utf8).write(to: URL(fileURLWithPath: estate.manifests + "/sites.yaml"))
        let result = try await estate.plan()
        #expect(result.stdout.contains("spec.config.endpoint 'not a url' is not an http:// or https:// URL"), "\(result.stdout)\(result.stderr)")
    }
}

/// A tiny HTTP server that answers every request as a throttled DynamoDB would, counting them.
private final class ThrottlingServer: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let counter = TemporaryDirectory(prefix: "ballast-throttle")
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init() throws {
        port = try FreePort.find()
        process = try ChildProcess("/usr/bin/env", ["python3", "-c", """
        import http.server, sys
        count = sys.argv[2]
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                open(count, "a").write("x")
                body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}'
                self.send_response(400); self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            do_GET = do_POST
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """, String(port), counter.file("count")])
        for _ in 0..<100 {
            if connects() { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private func connects() -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    func requests() -> Int { ((try? String(contentsOfFile: counter.file("count"), encoding: .utf8)) ?? "").count }

    func stop() {
        // SIGKILL: the test runner's threads block SIGTERM, and children inherit that mask.
        process.send(SIGKILL)
        process.wait()
        counter.remove()
    }
}
