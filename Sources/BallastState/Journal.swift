import BallastCore
import Foundation

/// What Ballast is about to do to one resource, written before the provider is called.
public struct JournalIntent: Sendable, Hashable {
    public var runID: String
    public var id: ResourceID
    public var action: Action
    /// The desired spec (templates unresolved, so no secret values) and its digest.
    public var spec: Fields
    public var specDigest: String
    public var at: Date
    /// The source revision (a git commit) the manifests were read at; nil for files.
    public var revision: String?
    /// An approval that let the run go past a guard, recorded with each of its intents
    /// (`--allow-over-budget: budget 'payments': …`); nil for most runs.
    public var approval: String?

    public init(runID: String, id: ResourceID, action: Action, spec: Fields, specDigest: String, at: Date, revision: String? = nil, approval: String? = nil) {
        self.approval = approval
        self.runID = runID
        self.id = id
        self.action = action
        self.spec = spec
        self.specDigest = specDigest
        self.at = at
        self.revision = revision
    }
}

/// A recorded intent, with its sequence number.
public struct JournalIntentRecord: Sendable, Hashable {
    public var sequence: Int64
    public var intent: JournalIntent

    public init(sequence: Int64, intent: JournalIntent) {
        self.sequence = sequence
        self.intent = intent
    }
}

/// How an intent ended.
public struct JournalOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case succeeded
        case failed
        /// Found done after a crash, and taken into the inventory.
        case adopted
        /// Found not done after a crash; the next plan does it again.
        case abandoned
        /// Not attempted because a dependency failed.
        case skipped
    }

    public var intentSequence: Int64
    public var status: Status
    public var attempts: Int
    public var error: String?
    public var outputs: Fields?
    public var at: Date

    public init(intentSequence: Int64, status: Status, attempts: Int, error: String? = nil, outputs: Fields? = nil, at: Date) {
        self.intentSequence = intentSequence
        self.status = status
        self.attempts = attempts
        self.error = error
        self.outputs = outputs
        self.at = at
    }
}

/// The inventory change an outcome carries, committed with it.
public enum InventoryChange: Sendable, Hashable {
    case none
    case upsert(InventoryEntry)
    case remove(ResourceID)
}

/// One journal entry as `ballast events` shows it.
public struct JournalEvent: Sendable, Hashable {
    public var sequence: Int64
    public var runID: String
    public var id: ResourceID
    public var action: Action
    public var startedAt: Date
    public var outcome: JournalOutcome?
    /// The source revision (a git commit) of the manifests acted on; nil for files.
    public var revision: String?
    /// The approval that let the run past a guard (``JournalIntent/approval``).
    public var approval: String?

    public init(sequence: Int64, runID: String, id: ResourceID, action: Action, startedAt: Date, outcome: JournalOutcome?, revision: String? = nil, approval: String? = nil) {
        self.approval = approval
        self.sequence = sequence
        self.runID = runID
        self.id = id
        self.action = action
        self.startedAt = startedAt
        self.outcome = outcome
        self.revision = revision
    }
}

extension JournalEvent {
    /// A recorded intent with its outcome, if it has one.
    public init(_ record: JournalIntentRecord, outcome: JournalOutcome?) {
        self.init(
            sequence: record.sequence, runID: record.intent.runID, id: record.intent.id, action: record.intent.action, startedAt: record.intent.at,
            outcome: outcome, revision: record.intent.revision, approval: record.intent.approval)
    }
}

/// Which journal entries to read.
public struct JournalQuery: Sendable, Hashable {
    /// Entries started at or after this time; nil for all.
    public var since: Date?
    /// Only the entries about this resource.
    public var resource: ResourceID?
    /// Only the newest this many (still returned oldest first).
    public var newest: Int?
    /// Only the entries of this action (the deletions the deletion window counts).
    public var action: Action?

    public init(since: Date? = nil, resource: ResourceID? = nil, newest: Int? = nil, action: Action? = nil) {
        self.since = since
        self.resource = resource
        self.newest = newest
        self.action = action
    }
}
