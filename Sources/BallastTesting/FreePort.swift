import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port nobody listens on now, for a test server to bind.
///
/// Chosen below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 by default):
/// a port from that range (what binding port 0 gives) can be taken by any outgoing connection
/// of the suite between the choice and the server's bind, and was ("could not bind IPv4
/// address: Address already in use"). Below it, only another test server could take it, and
/// each picks at random among thousands.
public enum FreePort {
    public static func find() throws -> Int {
        let range = belowEphemeralRange()
        if range.count > 100 {
            for _ in 0..<64 {
                let port = Int.random(in: range)
                if (try? bind(port)) != nil { return port }
            }
        }
        return try bind(0)
    }

    /// Ports from 10000 up to the start of the ephemeral range.
    static func belowEphemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        return 10000...max(10000, low - 1)
    }

    /// Binds `port` on 127.0.0.1 (0: any), releases it, and returns the port bound.
    private static func bind(_ port: Int) throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestServerUnavailable(description: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestServerUnavailable(description: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
