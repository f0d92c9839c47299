import BallastCore
import BallastProviders
import BallastSim
import Foundation

// watch-heal-latency STATE_DIR DRIFTS [SEED]
//
// Against a running `ballast watch` on STATE_DIR: drifts DRIFTS resources one at a time (an
// int field set to another value, as `ballast sim drift` would) and times each from the moment
// the drift is committed to the sim world until the world holds the desired value again,
// watching the world through the sim provider's own change stream (inotify, no polling).
// Prints p50, p90, p99 and max in milliseconds.

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2, let drifts = Int(arguments[1]), drifts > 0 else {
    FileHandle.standardError.write(Data("usage: watch-heal-latency STATE_DIR DRIFTS [SEED]\n".utf8))
    exit(64)
}
let world = SimWorldStore(directory: arguments[0] + "/sim")
let provider = SimProvider(world: world)
let control = SimControl(world: world)
let schema = provider.schema()

/// Int fields a drift can change that the daemon reverts in place (not computed, not immutable).
func driftableField(of record: SimWorld.Record) -> (String, Int)? {
    guard let kind = schema.kind(record.id.kind) else { return nil }
    for field in kind.fields where !field.computed && !field.immutable && !field.sensitive {
        if case .int(let value)? = record.spec[field.name] { return (field.name, value) }
    }
    return nil
}

let snapshot = try await world.snapshot()
let candidates = snapshot.records.values.compactMap { record in driftableField(of: record).map { (record.id, $0.0, $0.1) } }.sorted { $0.0 < $1.0 }
guard !candidates.isEmpty else {
    FileHandle.standardError.write(Data("no resource with a driftable int field in \(arguments[0])/sim\n".utf8))
    exit(1)
}

// One change stream per site, merged: every id the world reports changed, plus a nil tick
// every 100 ms so that a heal that never comes ends in a timeout.
let (changes, changed) = AsyncStream<ResourceID?>.makeStream()
Task {
    while true {
        try await Task.sleep(for: .milliseconds(100))
        changed.yield(nil)
    }
}
for site in Set(candidates.map(\.0.site)).sorted() {
    guard let stream = provider.changes(site: Site(name: site, siteClass: .cloud, provider: "sim")) else { continue }
    Task {
        for await id in stream { changed.yield(id) }
    }
}
try await Task.sleep(for: .milliseconds(500))  // let the streams take their first snapshot

let clock = ContinuousClock()
let (samples, timeouts) = try await measure()

func measure() async throws -> (samples: [Duration], timeouts: Int) {
    var iterator = changes.makeAsyncIterator()
    var random = SplitMix(seed: arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1)
    var samples: [Duration] = []
    var timeouts = 0
    for _ in 0..<drifts {
        let (id, field, value) = candidates[Int(random.next() % UInt64(candidates.count))]
        let start = clock.now
        _ = try await control.drift(id, assignments: ["\(field)=\(value + 1)"])
        let deadline = start + .seconds(10)
        var healed = false
        while clock.now < deadline {
            guard let next = await iterator.next() else { break }
            guard next == id else { continue }  // another id, or a tick
            if try await world.snapshot().records[id]?.spec[field] == .int(value) {
                healed = true
                break
            }
        }
        if healed { samples.append(clock.now - start) } else { timeouts += 1 }
    }
    return (samples, timeouts)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
let sorted = samples.map(milliseconds).sorted()
func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
print(String(format: "drift→healed over %d drifts: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, not healed within 10 s: %d",
             samples.count, percentile(0.50), percentile(0.90), percentile(0.99), sorted.last ?? .nan, timeouts))

/// A small deterministic generator (the same seed drifts the same resources).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
