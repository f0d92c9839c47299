#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Caps glibc's malloc arenas for the long-running commands (`watch`, `agent`).
///
/// glibc gives each thread that contends for the heap an arena of its own, up to eight per
/// core; Swift's concurrency runtime and SwiftNIO run many threads, and memory freed in one
/// arena is not reused by another. In a 10-minute fault soak (docs/reliability.md) the daemon's
/// resident memory grew 1.3 MiB a minute with the default and 0.2 MiB a minute with two arenas,
/// on the same work. `MALLOC_ARENA_MAX`, when set, wins.
enum MallocArenas {
    /// `M_ARENA_MAX` in glibc's malloc.h.
    static let arenaMax: Int32 = -8

    static func limitForDaemon() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // mallopt is not in the Glibc module: found by name, as C declares it.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(Self.arenaMax, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }

    /// Gives the pages malloc holds free back to the system (`malloc_trim(0)`), after a
    /// transient high point such as start-up: what planning the whole estate freed otherwise
    /// stays resident for the daemon's lifetime.
    static func releaseFreePages() {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
