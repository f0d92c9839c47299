import BallastCore
import BallastEngine
import BallastProviders
import BallastState
import BallastTesting
import Logging
import Synchronization
import Testing

private let secret = "hunter2-correct-horse"

private let estate = TestManifests.oneSite + """
apiVersion: ballast.dev/v1
kind: Database
metadata: { name: db, site: s }
spec: { engine: postgres, sizeGb: 10, password: "${env:DB_PASSWORD}" }

"""

/// Collects what reaches a log.
private final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    func handler(redactor: SecretRedactor) -> RedactingLogHandler {
        RedactingLogHandler(wrapping: CapturingHandler(capture: self), redactor: redactor)
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(event.message) \(fields)") }
        }
    }
}

@Suite("Secret redaction")
struct RedactionTests {
    @Test func theRedactorReplacesKnownValuesLongestFirst() {
        let redactor = SecretRedactor(["abcd", "abcdefgh", "xy"])
        #expect(redactor.redact("got abcdefgh and abcd") == "got (sensitive) and (sensitive)")
        #expect(redactor.redact("xy stays: too short to redact safely") == "xy stays: too short to redact safely")
    }

    @Test func aProviderErrorThatEchoesASecretIsRedactedEverywhere() async throws {
        let provider = RecordingProvider(name: "sim", schema: TestManifests.catalog.providers["sim"]!) { call in
            if case .create = call { return ProviderError(.invalid, "password '\(secret)' is too weak") }
            return nil
        }
        let store = InMemoryStateStore()
        let redactor = SecretRedactor()
        let capture = LogCapture()
        let logger = Logger(label: "test") { _ in capture.handler(redactor: redactor) }
        let registry = ProviderRegistry([provider])
        let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(environment: ["DB_PASSWORD": secret]), redactor: redactor, logger: logger)
        let outcome = try await planner.plan(planner.loader.load([ManifestInput(path: "t.yaml", bytes: Array(estate.utf8))]), inputs: ["t.yaml"])
        let plan = try #require(outcome.plan)
        let executor = Executor(registry: registry, store: store, retry: RetryPolicy(maxAttempts: 1), redactor: redactor, logger: logger, sleep: { _ in })
        let report = try await ApplyService(planner: planner, executor: executor, logger: logger).execute(plan, outcome: outcome, progress: SilentProgress())

        let reported = try #require(report.results.first?.error)
        #expect(reported.contains("password '(sensitive)' is too weak"))
        let journaled = try await store.events(since: nil).compactMap { $0.outcome?.error }
        #expect(!journaled.isEmpty && journaled.allSatisfy { !$0.contains(secret) }, "\(journaled)")
        let logged = capture.lines.withLock { $0 }
        #expect(!logged.isEmpty)
        #expect(logged.allSatisfy { !$0.contains(secret) }, "\(logged)")
        // A plugin that logs what it was sent: the handler takes the value out.
        logger.info("plugin says: connecting with \(secret)", metadata: ["line": "\(secret)"])
        #expect(capture.lines.withLock { $0.last } == "plugin says: connecting with (sensitive) line=(sensitive)")
    }
}
