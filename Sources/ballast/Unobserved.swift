import BallastCore

/// How commands say that some resources could not be observed: one wording for apply, plan,
/// drift and destroy, which all exit 1 then (a dark site may hide a change or a deletion).
enum Unobserved {
    /// `3 resources on sites that could not be observed (edge-1, us-east)`.
    static func describe(_ unknown: [UnknownResource]) -> String {
        let sites = Set(unknown.map(\.id.site)).sorted().joined(separator: ", ")
        return "\(unknown.count) resource\(unknown.count == 1 ? "" : "s") on sites that could not be observed (\(sites))"
    }

    /// `2 resources wait for outputs that pull sites' agents have not reported (DNSRecord/api@cloud, …)`.
    static func describeWaiting(_ waiting: [UnknownResource]) -> String {
        let shown = waiting.prefix(5).map(\.id.description).joined(separator: ", ") + (waiting.count > 5 ? ", …" : "")
        return "\(waiting.count) resource\(waiting.count == 1 ? "" : "s") wait\(waiting.count == 1 ? "s" : "") for outputs that pull sites' agents have not reported (\(TerminalText.safe(shown)))"
    }
}
