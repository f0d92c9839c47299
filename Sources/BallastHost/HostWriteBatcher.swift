import BallastProviders

/// Coalesces the writes that reach one site at the same time into one script
/// (``HostWriteBatch``). A write that finds fewer than ``maximumInFlight`` scripts running on
/// its site goes at once, with whatever else is waiting; otherwise it waits for one to finish
/// and goes in the next. Alone, a write costs what it always did; under the executor's
/// parallelism, N writes cost about N / parallelism round trips instead of N.
actor HostWriteBatcher {
    /// Scripts running at once on one site.
    static let maximumInFlight = 2
    /// Writes per script, and their script's size: a batch stays well inside a round trip's timeout
    /// and an argument-free `sh -s` read.
    static let maximumWrites = 256
    static let maximumBytes = 4 << 20

    /// Sends one script carrying `writes` writes.
    typealias Runner = @Sendable (_ script: String, _ writes: Int) async throws(ProviderError) -> HostResult

    private struct Waiting {
        let body: String
        let continuation: CheckedContinuation<Result<HostResult, ProviderError>, Never>
    }

    private var waiting: [String: [Waiting]] = [:]
    private var inFlight: [String: Int] = [:]

    /// Runs `body` (a write and its read-back, after `prelude`) on the site `key` names, in a
    /// script with the other writes waiting for that site, and returns this write's own result.
    /// `run` sends one script; every write in a script that fails as a whole gets its error.
    func write(_ body: String, key: String, prelude: String, run: @escaping Runner) async throws(ProviderError) -> HostResult {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HostResult, ProviderError>, Never>) in
            waiting[key, default: []].append(Waiting(body: body, continuation: continuation))
            startIfIdle(key: key, prelude: prelude, run: run)
        }
        return try result.get()
    }

    private func startIfIdle(key: String, prelude: String, run: @escaping Runner) {
        guard inFlight[key, default: 0] < Self.maximumInFlight, let queue = waiting[key], !queue.isEmpty else { return }
        var batch: [Waiting] = []
        var bytes = 0
        for item in queue {
            if !batch.isEmpty && (batch.count == Self.maximumWrites || bytes + item.body.utf8.count > Self.maximumBytes) { break }
            batch.append(item)
            bytes += item.body.utf8.count
        }
        waiting[key] = Array(queue.dropFirst(batch.count))
        inFlight[key, default: 0] += 1
        Task {
            let results = await Self.send(batch.map(\.body), prelude: prelude, run: run)
            for (item, result) in zip(batch, results) { item.continuation.resume(returning: result) }
            self.finished(key: key, prelude: prelude, run: run)
        }
    }

    private func finished(key: String, prelude: String, run: @escaping Runner) {
        inFlight[key, default: 1] -= 1
        if inFlight[key] == 0 { inFlight[key] = nil }
        if waiting[key]?.isEmpty == true { waiting[key] = nil }
        startIfIdle(key: key, prelude: prelude, run: run)
    }

    /// One write alone goes as it always did; several go in one ``HostWriteBatch`` script.
    private static func send(_ bodies: [String], prelude: String, run: Runner) async -> [Result<HostResult, ProviderError>] {
        do throws(ProviderError) {
            if bodies.count == 1 { return [.success(try await run(prelude + bodies[0], 1))] }
            let result = try await run(HostWriteBatch.script(prelude: prelude, bodies: bodies), bodies.count)
            guard let results = HostWriteBatch.parse(result.output, count: bodies.count) else {
                let error = ProviderError(.failed, "the host script for \(bodies.count) writes failed (status \(result.status)): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
                return Array(repeating: .failure(error), count: bodies.count)
            }
            return results.map { .success($0) }
        } catch {
            return Array(repeating: .failure(error), count: bodies.count)
        }
    }
}
