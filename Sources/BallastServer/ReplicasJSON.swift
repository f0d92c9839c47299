import BallastCore
import BallastEngine
import BallastState
import Foundation

/// `GET /v1/replicas`: the replicas of a shared state, which sites each owns, lease ages, the
/// leader, and the sites no live replica owns. Lists are sorted.
enum ReplicasJSON {
    static func document(_ status: WatchController.ReplicaStatus, now: Date = Date()) -> Value {
        let view = status.view
        let declared = Set(status.sites)
        var owned: [String: [String]] = [:]
        for lease in view.leases where !lease.lapsed && declared.contains(lease.key) { owned[lease.owner, default: []].append(lease.key) }
        let unowned = status.sites.filter { view.holder(of: $0) == nil }
        let replicas: [Value] = view.replicas.map { replica(status, $0, sites: owned[$0.beat.id] ?? [], now: now) }
        let sites: [Value] = status.sites.map { site(view, $0) }
        let leader: Value = view.leader.map { .string($0.owner) } ?? .null
        let heartbeatError: Value = status.heartbeatError.map(Value.string) ?? .null
        return .map(Fields([
            "formatVersion": .int(1),
            "replica": .string(status.me),
            "leader": leader,
            "heartbeatError": heartbeatError,
            "replicas": .list(replicas),
            "sites": .list(sites),
            "unownedSites": .list(unowned.map(Value.string)),
        ]))
    }

    private static func replica(_ status: WatchController.ReplicaStatus, _ record: ReplicaRecord, sites: [String], now: Date) -> Value {
        let age = (now.timeIntervalSince(record.lastSeen) * 1000).rounded() / 1000
        var fields = Fields()
        fields["id"] = .string(record.beat.id)
        fields["host"] = .string(record.beat.host)
        fields["pid"] = .int(Int(record.beat.pid))
        fields["listen"] = .string(record.beat.listen)
        fields["alive"] = .bool(record.alive)
        fields["leader"] = .bool(status.view.leader?.owner == record.beat.id)
        fields["lastSeen"] = .string(Timestamp.string(record.lastSeen, fractionalSeconds: true))
        fields["heartbeatAgeSeconds"] = .number(age)
        fields["manifestDigest"] = .string(record.beat.manifestDigest)
        fields["sameManifests"] = .bool(record.beat.manifestDigest == status.manifestDigest)
        fields["sites"] = .list(sites.sorted().map(Value.string))
        return .map(fields)
    }

    private static func site(_ view: ReplicaView, _ name: String) -> Value {
        var fields = Fields()
        fields["name"] = .string(name)
        let lease = view.holder(of: name)
        fields["owner"] = lease.map { .string($0.owner) } ?? .null
        fields["epoch"] = lease.map { .int(Int($0.epoch)) } ?? .null
        fields["leaseExpiresAt"] = lease.map { .string(Timestamp.string($0.expiresAt, fractionalSeconds: true)) } ?? .null
        return .map(fields)
    }
}
