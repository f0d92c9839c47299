import BallastCore
import BallastTesting
import Foundation
import Testing

/// Journal entries with an outcome, by sequence number: (resource id, status).
private func outcomes(_ journal: [Value]) -> [Int: String] {
    var result: [Int: String] = [:]
    for case .map(let event) in journal {
        guard case .int(let sequence)? = event["sequence"], case .string(let status)? = event["status"], status != "unfinished" else { continue }
        if case .string(let id)? = event["id"] { result[sequence] = id }
    }
    return result
}

/// The journal sequence number an event reports, if it reports an outcome.
private func journalSequence(_ event: EventSinkServer.Received) -> Int? {
    guard case .map(let data)? = try? JSONValueParser.parse(Array(event.data.utf8)), case .int(let sequence)? = data["journalSequence"] else { return nil }
    return sequence
}

/// Per subject, the order of first deliveries must follow the journal.
private func expectOrderedPerResource(_ received: [EventSinkServer.Received], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    var seen = Set<String>()
    var last: [String: Int] = [:]
    for event in received where seen.insert(event.id).inserted {
        guard let sequence = journalSequence(event) else { continue }
        #expect(sequence > last[event.subject] ?? 0, "\(event.subject): journal entry \(sequence) came after \(last[event.subject] ?? 0)", sourceLocation: sourceLocation)
        last[event.subject] = sequence
    }
}

@Suite("CloudEvents to event sinks", .serialized)
struct EventSinkTests {
    @Test func eventsAnApplyCouldNotDeliverWaitForTheNextRunWithTheSameSink() async throws {
        let sink = try await EventSinkServer()
        defer { sink.stop() }
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        try await sink.answer(503)
        let url = sink.url(userInfo: "ballast:hunter2")
        let applied = try await workspace.run(["apply", workspace.manifests, "--auto-approve", "--events-sink", url])
        #expect(applied.exitCode == 0, "a sink that is down fails no apply: \(applied.stderr)")
        #expect(applied.stderr.contains("not all delivered"), "\(applied.stderr)")
        #expect(try await sink.refusals() > 0)
        #expect(try await sink.received().isEmpty)
        #expect(!(applied.stdout + applied.stderr).contains("hunter2"), "the sink's password is shown nowhere")

        // The next run with this sink delivers them: every outcome of the journal, once at least.
        try await sink.answer(200)
        let again = try await workspace.run(["apply", workspace.manifests, "--auto-approve", "--events-sink", url])
        #expect(again.exitCode == 0, "\(again.stderr)")
        let journal = outcomes(try await journalValues(workspace))
        let received = try await sink.received()
        #expect(journal.count == 21, "\(journal.count)")
        #expect(Set(received.compactMap(journalSequence)) == Set(journal.keys), "every outcome reported")
        #expect(received.allSatisfy { $0.type == "dev.ballast.resource.created" && $0.source.hasPrefix("urn:ballast:") })
        #expect(Set(received.map(\.id)).count == received.count, "delivered once each here: ids are unique")
        for event in received { #expect(journal[journalSequence(event) ?? 0] == event.subject) }
        expectOrderedPerResource(received)
        let headers = try await sink.lastHeaders()
        #expect(headers["Content-Type"] == "application/cloudevents+json; charset=utf-8")
        #expect(headers["Authorization"] == "Basic " + Data("ballast:hunter2".utf8).base64EncodedString())
    }

    @Test func aDaemonKilledBetweenTheOutcomeAndTheDeliveryLosesNoEvent() async throws {
        let sink = try await EventSinkServer()
        defer { sink.stop() }
        try await sink.answer(503)
        let daemon = try await Daemon(arguments: ["--events-sink", sink.url()])
        // Drift healed while the sink is down: the outcome is journaled, its events wait.
        try await daemon.cli(["sim", "drift", "Bucket/backups@eu-central", "versioning=false"])
        let target = "Bucket/backups@eu-central"
        #expect(await WatchProcess.eventually {
            (try? await daemon.journal())?.contains { event in
                guard case .map(let fields) = event else { return false }
                return fields["id"] == .string(target) && fields["action"] == .string("update") && fields["status"] == .string("succeeded")
            } ?? false
        }, "the drift was healed")
        #expect(try await sink.received().isEmpty)
        daemon.watch.process.send(SIGKILL)
        _ = await daemon.watch.process.exit(within: .seconds(10))

        // A new daemon on the same state, with the sink back: everything arrives.
        try await sink.answer(200)
        let logs = daemon.directory.file("second")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let second = try await WatchProcess(cli: daemon.runner, arguments: [daemon.manifests, "--state", daemon.state, "--events-sink", sink.url()], directory: logs)
        defer { Task { _ = await second.terminate() } }
        let journal = outcomes(try await daemon.journal())
        #expect(await WatchProcess.eventually { Set(((try? await sink.received()) ?? []).compactMap(journalSequence)).isSuperset(of: journal.keys) },
            "every outcome journaled before the kill was delivered after it")
        let received = try await sink.received()
        let drift = received.filter { $0.type == "dev.ballast.resource.drifted" && $0.subject == target }
        #expect(!drift.isEmpty, "the drift found is reported")
        let healed = received.firstIndex { $0.type == "dev.ballast.resource.updated" && $0.subject == target }
        #expect(drift.first.flatMap { event in received.firstIndex(of: event) }.map { $0 < (healed ?? -1) } == true, "the drift before its heal")
        #expect(received.contains { $0.type == "dev.ballast.source.applied" }, "the revision put in force at start-up")
        expectOrderedPerResource(received)
        let metrics = try await second.get("/metrics").body
        #expect(metrics.contains("ballast_events_delivered_total{sink=\"http://127.0.0.1:\(sink.port)/events\"}"), "\(metrics.split(separator: "\n").filter { $0.contains("events") })")
        await daemon.stop()
    }
}

private func journalValues(_ workspace: Workspace) async throws -> [Value] {
    guard case .map(let fields) = try JSONValueParser.parse(try await workspace.run(["events", "-o", "json"]).stdout), case .list(let events)? = fields["events"] else { return [] }
    return events
}
