/// Which replica should own which site: consistent hashing with bounded loads.
///
/// Every replica computes the same assignment from the same sites and live replicas, with no
/// coordination: the hash is a fixed function (FNV-1a, then a SplitMix64 finaliser), never
/// Swift's per-process seeded `Hasher`. Each replica has ``virtualNodes`` points on a ring;
/// sites are placed in the order of their own hash, and each goes to the first replica
/// clockwise from it that still has room. Room is bounded so that loads differ by at most one:
/// with S sites and R replicas, each takes ⌊S/R⌋ or ⌈S/R⌉, and only S mod R take the larger.
/// Plain rendezvous or ring hashing leaves the spread to chance; Argo CD's round-robin moves
/// almost every cluster when a replica is added. Here adding or removing a replica moves
/// about its share.
public struct ShardAssignment: Sendable, Hashable {
    /// Site name to replica id, for every site.
    public let owners: [String: String]

    public static let virtualNodes = 64

    public init(sites: some Collection<String>, replicas: some Collection<String>) {
        let replicas = Array(Set(replicas)).sorted()
        let sites = Array(Set(sites))
        guard !replicas.isEmpty else {
            owners = [:]
            return
        }
        var ring: [(point: UInt64, replica: Int)] = []
        ring.reserveCapacity(replicas.count * Self.virtualNodes)
        for (index, replica) in replicas.enumerated() {
            for node in 0..<Self.virtualNodes { ring.append((Self.hash("\(replica)#\(node)"), index)) }
        }
        ring.sort { ($0.point, $0.replica) < ($1.point, $1.replica) }
        let floor = sites.count / replicas.count
        var largerLeft = sites.count % replicas.count
        var load = Array(repeating: 0, count: replicas.count)
        var owners: [String: String] = [:]
        let ordered = sites.map { (point: Self.hash($0), site: $0) }.sorted { ($0.point, $0.site) < ($1.point, $1.site) }
        for (point, site) in ordered {
            // The first ring point at or after the site's hash, wrapping around.
            var low = 0, high = ring.count
            while low < high {
                let middle = (low + high) / 2
                if ring[middle].point < point { low = middle + 1 } else { high = middle }
            }
            for step in 0..<ring.count {
                let candidate = ring[(low + step) % ring.count].replica
                if load[candidate] < floor || (load[candidate] == floor && largerLeft > 0) {
                    if load[candidate] == floor { largerLeft -= 1 }
                    load[candidate] += 1
                    owners[site] = replicas[candidate]
                    break
                }
            }
        }
        self.owners = owners
    }

    /// The sites `replica` should own, sorted.
    public func sites(of replica: String) -> [String] {
        owners.filter { $0.value == replica }.map(\.key).sorted()
    }

    /// A stable 64-bit hash of `text`: the same in every process and on every machine.
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        // FNV alone clusters similar names (site-1, site-2, …): finalise with SplitMix64.
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
