import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the sim world in a directory shared by every Ballast process using the same state.
///
/// `world.snapshot` holds the world as of some serial, `world.journal` every change since,
/// one JSON line each; `world.lock` serialises writers (exclusive `flock`) against readers
/// (shared). Readers tail the journal incrementally. The journal is folded into a new
/// snapshot when it grows larger than the snapshot.
public actor SimWorldStore {
    public nonisolated let directory: String
    private var world = SimWorld()
    private var snapshotInode: UInt64 = 0
    private var journalOffset = 0
    private var loaded = false
    private var journalBytesSinceSnapshot = 0
    private var snapshotBytes = 0
    /// The resource each serial after ``changeLogFloor`` changed, oldest first: change feeds read it
    /// rather than compare a whole site on every change. Bounded; reset when the world is read
    /// afresh (another process folded the journal into a snapshot).
    private var changeLog: [(serial: Int, id: ResourceID, removed: Bool)] = []
    private var changeLogFloor = 0
    static let changeLogLimit = 100_000

    /// The world as this store last read or wrote it, readable without awaiting the actor: a
    /// change feed takes it as its baseline the moment it starts, so no change made after
    /// that moment can be mistaken for part of the baseline. It is never cleared while a read
    /// or a write is under way: an older baseline costs a change reported twice, a missing one
    /// cost a change never reported (a feed then read its baseline later, change included).
    nonisolated let latest = LatestWorld()
    /// Changes to the world's files, for every change feed of this process.
    nonisolated let watcher: SimWorldWatcher

    public init(directory: String) {
        self.directory = directory
        watcher = SimWorldWatcher(directory: directory)
    }

    private var snapshotPath: String { directory + "/world.snapshot" }
    private var journalPath: String { directory + "/world.journal" }
    private var lockPath: String { directory + "/world.lock" }

    /// What changed on a site after a serial, for its change feed.
    public struct SiteChanges: Sendable {
        /// The world's serial now: ask after it next time.
        public var serial: Int
        /// The ids on the site put or removed since, in order; nil when the change log no longer
        /// reaches back so far (then ``current`` is set).
        public var ids: [ResourceID]?
        /// Of ``ids``, those whose last change removed them.
        public var removed: Set<ResourceID> = []
        /// When ``ids`` is nil: every id on the site now, with the serial of its last change.
        public var current: [ResourceID: Int]?
        /// The site's outage switch now (`ballast sim outage`; nil when never set).
        public var outage: Bool?
    }

    /// What changed on `site` after serial `after`, read from the change log: the cost follows
    /// the changes, not the size of the world (unless the log does not reach back that far).
    public func changes(on site: String, after serial: Int) throws(ProviderError) -> SiteChanges {
        try withLock(LOCK_SH) { () throws(ProviderError) in try updatingLatest { () throws(ProviderError) in try refresh() } }
        guard serial >= changeLogFloor else {
            return SiteChanges(serial: world.serial, ids: nil, current: revisions(on: site), outage: world.outages[site])
        }
        var ids: [ResourceID] = []
        var removed = Set<ResourceID>()
        // The log is in serial order: look back from the end to the first entry not needed.
        var index = changeLog.endIndex
        while index > changeLog.startIndex, changeLog[index - 1].serial > serial { index -= 1 }
        for entry in changeLog[index...] where entry.id.site == site {
            ids.append(entry.id)
            if entry.removed { removed.insert(entry.id) } else { removed.remove(entry.id) }
        }
        return SiteChanges(serial: world.serial, ids: ids, removed: removed, current: nil, outage: world.outages[site])
    }

    /// Every id on `site`, with the serial of its last change, and the world's serial: where a
    /// change feed starts.
    public func baseline(of site: String) throws(ProviderError) -> (serial: Int, revisions: [ResourceID: Int], outage: Bool?) {
        try withLock(LOCK_SH) { () throws(ProviderError) in try updatingLatest { () throws(ProviderError) in try refresh() } }
        return (world.serial, revisions(on: site), world.outages[site])
    }

    private func revisions(on site: String) -> [ResourceID: Int] {
        var result: [ResourceID: Int] = [:]
        for (id, record) in world.records where id.site == site { result[id] = record.revision }
        return result
    }

    /// The records of `ids` that exist, and the outage switches, without handing out the whole
    /// world (a copy shared with a caller makes the next change copy every record).
    public func records(_ ids: [ResourceID]) throws(ProviderError) -> (records: [ResourceID: SimWorld.Record], outages: [String: Bool]) {
        try withLock(LOCK_SH) { () throws(ProviderError) in try updatingLatest { () throws(ProviderError) in try refresh() } }
        var found: [ResourceID: SimWorld.Record] = [:]
        found.reserveCapacity(ids.count)
        for id in ids { if let record = world.records[id] { found[id] = record } }
        return (found, world.outages)
    }

    /// Every record on `site`, sorted by id, and whether the site is in outage.
    public func records(on site: String) throws(ProviderError) -> (records: [SimWorld.Record], outage: Bool) {
        try withLock(LOCK_SH) { () throws(ProviderError) in try updatingLatest { () throws(ProviderError) in try refresh() } }
        return (world.records.values.filter { $0.id.site == site }.sorted { $0.id < $1.id }, world.outages[site] ?? false)
    }

    private func log(_ change: SimWorld.Change, serial: Int) {
        switch change {
        case .put(let record): changeLog.append((serial, record.id, false))
        case .remove(let id): changeLog.append((serial, id, true))
        case .outage: break  // read as the switch's value: an outage concerns a whole site
        }
        if changeLog.count > Self.changeLogLimit {
            let dropped = changeLog.count - Self.changeLogLimit / 2
            changeLogFloor = changeLog[dropped - 1].serial
            changeLog.removeFirst(dropped)
        }
    }

    /// Lets go of the world read into memory and of the change log; the next call reads the
    /// files afresh. Change feeds of this store lose no change: one that asks after a serial
    /// the (now empty) log no longer reaches is given every id on its site instead.
    public func forget() {
        latest.clear()
        world = SimWorld()
        loaded = false
        snapshotInode = 0
        journalOffset = 0
        journalBytesSinceSnapshot = 0
        snapshotBytes = 0
        changeLog = []
        changeLogFloor = 0
    }

    /// Whether a world read from the files is held in memory (``forget()`` lets go of it).
    var holdsWorld: Bool { loaded }

    /// The world as it is now on disk.
    public func snapshot() throws(ProviderError) -> SimWorld {
        try withLock(LOCK_SH) { () throws(ProviderError) in try updatingLatest { () throws(ProviderError) in try refresh() } }
        return world
    }

    /// Applies changes atomically with respect to other processes; `body` sees the latest world
    /// and returns the changes to record.
    @discardableResult
    public func mutate<T: Sendable>(_ body: (SimWorld) throws(ProviderError) -> (changes: [SimWorld.Change], result: T)) throws(ProviderError) -> T {
        try withLock(LOCK_EX) { () throws(ProviderError) -> T in
            try updatingLatest { () throws(ProviderError) -> T in
                try refresh()
                let (changes, result) = try body(world)
                guard !changes.isEmpty else { return result }
                var text = ""
                for (offset, change) in changes.enumerated() {
                    text += change.encoded(serial: world.serial + offset + 1) + "\n"
                }
                // On disk first: a failed write leaves the world in memory as the files have it.
                try append(text)
                for change in changes {
                    let serial = world.serial + 1
                    world.apply(change, serial: serial)
                    log(change, serial: serial)
                }
                if journalBytesSinceSnapshot > max(1 << 20, snapshotBytes) { try compact() }
                return result
            }
        }
    }

    /// Runs `body`, which may change `world`, with ``latest`` let go of it meanwhile, then
    /// publishes the world again, whatever `body` did. Letting go matters: a world also held by
    /// ``latest`` is shared, and each change would copy all its records (quadratic: a 10,000
    /// resource apply went from 2 s to 16 s). Readers of ``latest`` wait for `body` rather than
    /// finding nothing, so a feed starting meanwhile still takes a baseline at once.
    private func updatingLatest<T>(_ body: () throws(ProviderError) -> T) throws(ProviderError) -> T {
        let outcome: Result<T, ProviderError> = latest.replace {
            let result: Result<T, ProviderError>
            do throws(ProviderError) {
                result = .success(try body())
            } catch {
                result = .failure(error)
            }
            return (world, result)
        }
        return try outcome.get()
    }

    // MARK: Files

    private func ensureDirectory() throws(ProviderError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ProviderError(.failed, "cannot create the sim world directory \(directory): \(error.localizedDescription)")
        }
    }

    private func withLock<T>(_ operation: Int32, _ body: () throws(ProviderError) -> T) throws(ProviderError) -> T {
        // Readers of a world in a directory they may not write (another user's state) lock a
        // read-only descriptor: flock does not need write access.
        var descriptor = operation == LOCK_SH ? open(lockPath, O_RDONLY | O_CLOEXEC) : -1
        if descriptor < 0 {
            try ensureDirectory()
            descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw ProviderError(.failed, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, operation) != 0 {
            guard errno == EINTR else { throw ProviderError(.failed, "cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino) ^ (UInt64(info.st_mtim.tv_nsec) << 20) ^ UInt64(info.st_mtim.tv_sec)
    }

    /// Brings the in-memory world up to date with the files.
    private func refresh() throws(ProviderError) {
        let currentSnapshot = inode(snapshotPath) ?? 0
        if !loaded || currentSnapshot != snapshotInode {
            world = SimWorld()
            journalOffset = 0
            journalBytesSinceSnapshot = 0
            snapshotBytes = 0
            if currentSnapshot != 0 {
                let bytes = try read(snapshotPath, from: 0).bytes
                snapshotBytes = bytes.count
                try loadSnapshot(bytes)
            }
            snapshotInode = currentSnapshot
            loaded = true
            // What changed before this read is not known one by one.
            changeLog = []
            changeLogFloor = world.serial
        }
        let (bytes, size) = try read(journalPath, from: journalOffset)
        if size < journalOffset {
            // The journal was folded into a snapshot we have not seen: start again.
            loaded = false
            try refresh()
            return
        }
        let (lines, consumed) = Self.completeLines(bytes)
        if world.records.isEmpty { world.records.reserveCapacity(lines.count) }
        try Self.forEachDecoded(lines, in: bytes, SimWorld.Change.decode(line:)) { decoded in
            guard let (change, serial) = decoded else { return }
            world.apply(change, serial: serial)
            log(change, serial: serial)
        }
        journalOffset += consumed
        journalBytesSinceSnapshot = journalOffset
    }

    private func loadSnapshot(_ bytes: [UInt8]) throws(ProviderError) {
        let path = snapshotPath
        // A snapshot is renamed into place whole: one that stops mid-line was cut short.
        guard bytes.last == UInt8(ascii: "\n") else { throw ProviderError(.failed, "the sim world snapshot \(path) is corrupt: it ends in the middle of a line") }
        let (lines, _) = Self.completeLines(bytes)
        world.records.reserveCapacity(lines.count)
        try Self.forEachDecoded(lines, in: bytes, Self.decodeSnapshotLine) { line throws(ProviderError) in
            switch line {
            case nil:
                throw ProviderError(.failed, "the sim world snapshot \(path) is corrupt")
            case .header(let serial, let outages)?:
                world.serial = serial
                for (site, on) in outages { world.outages[site] = on }
            case .record(let record)?:
                world.records[record.id] = record
            case .unknown?:
                break
            }
        }
    }

    /// One line of a snapshot: the header (the serial and the outage switches), or a record.
    enum SnapshotLine: Sendable {
        case header(serial: Int, outages: [String: Bool])
        case record(SimWorld.Record)
        /// Well-formed, but not a line this version reads.
        case unknown
    }

    /// Reads a snapshot line; nil when it is not a JSON object. A record's spec and outputs are
    /// kept as their text, not parsed.
    static func decodeSnapshotLine(_ line: UnsafeBufferPointer<UInt8>) -> SnapshotLine? {
        guard let members = try? JSONValueParser.memberRanges(line) else { return nil }
        func member(_ key: String) -> UnsafeBufferPointer<UInt8>? {
            members.first { $0.key == key }.map { UnsafeBufferPointer(rebasing: line[$0.range]) }
        }
        func value(_ key: String) -> Value? { member(key).flatMap { try? JSONValueParser.parse($0) } }
        guard member("id") != nil else {
            guard let serial = value("serial")?.intValue else { return .unknown }
            var outages: [String: Bool] = [:]
            for entry in value("outages")?.fieldsValue ?? Fields() { outages[entry.key] = entry.value.boolValue }
            return .header(serial: serial, outages: outages)
        }
        guard let id = value("id")?.stringValue.flatMap(ResourceID.init(parsing:)), let revision = value("revision")?.intValue,
              let record = SimWorld.Record(id: id, revision: revision, outputsJSON: member("outputs"), specJSON: member("spec"))
        else { return .unknown }
        return .record(record)
    }

    /// The byte ranges of the complete (newline-terminated) lines, and how many bytes they span.
    static func completeLines(_ bytes: [UInt8]) -> (lines: [Range<Int>], consumed: Int) {
        var lines: [Range<Int>] = []
        var lineStart = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            if index > lineStart { lines.append(lineStart..<index) }
            lineStart = index + 1
        }
        return (lines, lineStart)
    }

    /// Lines decoded together: enough for every core to take a share, few enough that the
    /// decoded lines of a chunk are small beside the world they go into.
    static let parseChunk = 8_192

    /// Hands `body` each line decoded by `decode`, in order. Lines are decoded a chunk at a
    /// time on every core, and a chunk is dropped once `body` has taken it: the whole file is
    /// never held decoded beside the world built from it.
    static func forEachDecoded<Line: Sendable>(
        _ lines: [Range<Int>], in bytes: [UInt8], _ decode: @Sendable (UnsafeBufferPointer<UInt8>) -> Line?, _ body: (Line?) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        var start = lines.startIndex
        while start < lines.endIndex {
            let end = min(start + parseChunk, lines.endIndex)
            let decoded = bytes.withUnsafeBufferPointer { buffer in
                nonisolated(unsafe) let buffer = buffer
                return Array(lines[start..<end]).parallelMap(minimumPerSlice: 1_024) { range in decode(UnsafeBufferPointer(rebasing: buffer[range])) }
            }
            for line in decoded { try body(line) }
            start = end
        }
    }

    private func read(_ path: String, from offset: Int) throws(ProviderError) -> (bytes: [UInt8], size: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return ([], 0) }
            throw ProviderError(.failed, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        fstat(descriptor, &info)
        let size = Int(info.st_size)
        guard size > offset else { return ([], size) }
        var bytes = [UInt8](repeating: 0, count: size - offset)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            }
            if count <= 0 { break }
            done += count
        }
        // Short only when the file shrank while it was read: trimmed in place, not copied.
        if done < bytes.count { bytes.removeSubrange(done...) }
        return (bytes, size)
    }

    /// Appends complete lines to the journal; called under the exclusive lock, right after
    /// ``refresh()``. Whatever follows the last complete line then is what a writer that died
    /// or failed mid-write left: it is cut off first, or the new first line would be glued to
    /// it and lost to every reader. A write that fails is cut off the same way.
    private func append(_ text: String) throws(ProviderError) {
        let descriptor = open(journalPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ProviderError(.failed, "cannot write \(journalPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, Int(info.st_size) > journalOffset, ftruncate(descriptor, off_t(journalOffset)) != 0 {
            throw ProviderError(.failed, "cannot cut the unfinished last line of \(journalPath): \(String(cString: strerror(errno)))")
        }
        let count: Int
        do throws(ProviderError) {
            count = try Self.write(text, to: descriptor, path: journalPath)
        } catch {
            _ = ftruncate(descriptor, off_t(journalOffset))
            throw error
        }
        journalOffset += count
        journalBytesSinceSnapshot += count
    }

    /// Writes all of `text` (retrying short writes); the bytes written.
    private static func write(_ text: String, to descriptor: Int32, path: String) throws(ProviderError) -> Int {
        var text = text
        let failure: Int32? = text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return count < 0 ? errno : EIO }
                done += count
            }
            return nil
        }
        if let failure { throw ProviderError(.failed, "cannot write \(path): \(String(cString: strerror(failure)))") }
        return text.utf8.count
    }

    /// Writes the whole world as a new snapshot (temp file, then rename) and empties the journal.
    /// Written a megabyte at a time: the text of a world of 100k records is about 40 MB, and
    /// held whole (with its copy for writing) it was the high point of a large apply.
    private func compact() throws(ProviderError) {
        let temporary = snapshotPath + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ProviderError(.failed, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        do throws(ProviderError) {
            defer { close(descriptor) }
            var text = JSONText.string(.map(Fields([
                "serial": .int(world.serial),
                "outages": .map(Fields(world.outages.map { ($0.key, Value.bool($0.value)) })),
            ]))) + "\n"
            text.reserveCapacity(Self.snapshotChunkBytes + (1 << 16))
            for id in world.records.keys.sorted() {
                let record = world.records[id]!
                // The keys in order, as JSONText writes a map; the record's own JSON text as it is.
                let (outputs, spec) = record.json
                text += "{\"id\":" + JSONText.quote(record.id.description) + ",\"outputs\":" + outputs + ",\"revision\":\(record.revision),\"spec\":" + spec + "}\n"
                if text.utf8.count >= Self.snapshotChunkBytes {
                    written += try Self.write(text, to: descriptor, path: temporary)
                    text.removeAll(keepingCapacity: true)
                }
            }
            written += try Self.write(text, to: descriptor, path: temporary)
            // On disk before it replaces the snapshot and the journal is emptied.
            guard fsync(descriptor) == 0 else { throw ProviderError(.failed, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, snapshotPath) == 0, truncate(journalPath, 0) == 0 else {
            throw ProviderError(.failed, "cannot replace \(snapshotPath): \(String(cString: strerror(errno)))")
        }
        snapshotInode = inode(snapshotPath) ?? 0
        snapshotBytes = written
        journalOffset = 0
        journalBytesSinceSnapshot = 0
    }

    /// How much snapshot text is gathered before it is written.
    private static let snapshotChunkBytes = 1 << 20
}

/// A lock-protected copy of the last world a store saw.
///
/// The store clears it before each change to its world: while the copy shares the world's
/// storage, every change would copy all records (quadratic over a large apply).
final class LatestWorld: @unchecked Sendable {
    private let lock = NSLock()
    private var world: SimWorld?

    /// Drops the stored world, runs `body` (readers wait), and stores what it returns.
    func replace<Result>(isolation: isolated (any Actor)? = #isolation, _ body: () -> (SimWorld, Result)) -> Result {
        lock.lock()
        defer { lock.unlock() }
        world = nil
        let (updated, result) = body()
        world = updated
        return result
    }

    var value: SimWorld? { lock.withLock { world } }

    /// Drops the stored world: readers find none, as before the first read.
    func clear() { lock.withLock { world = nil } }
}
