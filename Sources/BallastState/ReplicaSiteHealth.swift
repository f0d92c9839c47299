import BallastCore

/// What a replica reports, with each heartbeat, of a site it owns that is down or came back:
/// how long that had lasted when the heartbeat was sent. Replicas see only their own sites'
/// health; failover needs every site's, so they share it this way (durations, never clock
/// readings of different hosts).
public struct ReplicaSiteHealth: Sendable, Hashable {
    /// Down for this long (its circuit open); nil when it is up.
    public var downFor: Duration?
    /// Up again for this long since an outage; nil when it is down.
    public var upFor: Duration?
    /// Why it is down.
    public var reason: String?

    public init(downFor: Duration? = nil, upFor: Duration? = nil, reason: String? = nil) {
        self.downFor = downFor
        self.upFor = upFor
        self.reason = reason
    }

    /// The reports as stored: a JSON object by site, `{"down": SECONDS, "reason": …}` or
    /// `{"up": SECONDS}`, sorted.
    public static func encode(_ reports: [String: ReplicaSiteHealth]) -> String {
        var fields = Fields()
        for (site, report) in reports {
            var entry = Fields()
            if let downFor = report.downFor { entry["down"] = .number(downFor.timeInterval) }
            if let upFor = report.upFor { entry["up"] = .number(upFor.timeInterval) }
            if let reason = report.reason { entry["reason"] = .string(reason) }
            fields[site] = .map(entry)
        }
        return JSONText.string(.map(fields))
    }

    /// The reports read back; what cannot be read is left out (a report is a hint, and a
    /// missing one only delays a failover).
    public static func decode(_ text: String) -> [String: ReplicaSiteHealth] {
        guard !text.isEmpty, case .map(let fields)? = try? JSONValueParser.parse(Array(text.utf8)) else { return [:] }
        var reports: [String: ReplicaSiteHealth] = [:]
        for field in fields {
            let site = field.key
            guard case .map(let entry) = field.value else { continue }
            func duration(_ key: String) -> Duration? {
                guard let seconds = entry[key]?.doubleValue, seconds.isFinite, seconds >= 0, seconds < 1e9 else { return nil }
                return .milliseconds(Int64(seconds * 1000))
            }
            let report = ReplicaSiteHealth(downFor: duration("down"), upFor: duration("up"), reason: entry["reason"]?.stringValue)
            if report.downFor != nil || report.upFor != nil { reports[site] = report }
        }
        return reports
    }
}
