import Foundation

/// A Linux network namespace joined to the host by a veth pair, for partition tests: a process
/// started in it (``launcher``) reaches the host at ``hostAddress``; ``partition()`` takes the
/// host's end of the link down (packets are dropped, connections hang, as when a network
/// drops), ``heal()`` brings it back. Made with `ip netns` and `ip link`; removed on deinit.
public final class NetworkNamespace: Sendable {
    public let name: String
    /// The host's end: listen here for the namespace to reach you.
    public let hostAddress: String
    /// The namespace's end: its processes listen here for the host to reach them.
    public let namespaceAddress: String
    /// The /30 both ends are on.
    public let subnet: String
    private let hostLink: String

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public init() throws {
        let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        name = "ballast-" + tag
        hostLink = "bal\(tag)h"
        let namespaceLink = "bal\(tag)n"
        let octet = Int.random(in: 0..<64) * 4
        let third = Int.random(in: 0..<256)
        hostAddress = "10.231.\(third).\(octet + 1)"
        namespaceAddress = "10.231.\(third).\(octet + 2)"
        subnet = "10.231.\(third).\(octet)/30"
        do {
            try Self.ip(["netns", "add", name])
            try Self.ip(["link", "add", hostLink, "type", "veth", "peer", "name", namespaceLink])
            try Self.ip(["link", "set", namespaceLink, "netns", name])
            try Self.ip(["addr", "add", hostAddress + "/30", "dev", hostLink])
            try Self.ip(["link", "set", hostLink, "up"])
            try Self.ip(["netns", "exec", name, "ip", "addr", "add", namespaceAddress + "/30", "dev", namespaceLink])
            try Self.ip(["netns", "exec", name, "ip", "link", "set", namespaceLink, "up"])
            try Self.ip(["netns", "exec", name, "ip", "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    /// Runs a command inside the namespace: prefix its arguments with this.
    public var launcher: [String] { ["/usr/sbin/ip", "netns", "exec", name] }

    /// Cuts the link: nothing passes either way until ``heal()``.
    public func partition() throws {
        try Self.ip(["link", "set", hostLink, "down"])
    }

    public func heal() throws {
        try Self.ip(["link", "set", hostLink, "up"])
    }

    private func remove() {
        _ = try? Self.ip(["link", "del", hostLink])
        _ = try? Self.ip(["netns", "del", name])
    }

    deinit { remove() }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let (status, text) = try Subprocess.run(["/usr/sbin/ip"] + arguments)
        guard status == 0 else {
            throw Unavailable(description: "ip \(arguments.joined(separator: " ")) failed (network namespaces need root or CAP_NET_ADMIN): \(text)")
        }
        return text
    }
}
