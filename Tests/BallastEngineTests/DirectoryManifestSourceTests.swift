import BallastCore
@testable import BallastEngine
import BallastTesting
import Foundation
import Synchronization
import Testing

/// The manifest directory source notices changes through inotify: these tests give it a poll
/// interval and a verify interval of an hour on a manual clock that moves a few seconds at
/// most, so only an inotify event can make it look.
@Suite("Manifest directories watched with inotify")
struct DirectoryManifestSourceTests {
    private static let document = "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: { name: s1 }\nspec: { class: cloud, provider: sim }\n"

    /// Runs `edit` while `nextChange` waits, moving the manual clock 10 ms at a time (settle is
    /// 10 ms); the fingerprint it returned, or nil after 3 s of clock time.
    private func change(in directory: TemporaryDirectory, paths: [String]? = nil, extraFiles: [String] = [], _ edit: () throws -> Void) async throws -> ManifestFingerprint? {
        let clock = ManualClock()
        let source = DirectoryManifestSource(
            paths: paths ?? [directory.file("manifests")], interval: .seconds(3600), settle: .milliseconds(10), verifyInterval: .seconds(3600), clock: clock)
        let loaded = source.fingerprint(extraFiles: extraFiles)
        let done = Mutex(false)
        let waiting = Task {
            let next = await source.nextChange(from: loaded, extraFiles: { extraFiles })
            done.withLock { $0 = true }
            return next
        }
        // Let it arm and look once before the edit.
        try await Task.sleep(for: .milliseconds(200))
        try edit()
        for _ in 0..<300 where !done.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
            clock.advance(by: .milliseconds(10))
            if clock.sleepers == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        waiting.cancel()
        let result = await waiting.value
        return result == loaded ? nil : result
    }

    @Test func aNewFileIsNoticedWithoutPolling() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("manifests/sites.yaml", Self.document)
        let changed = try await change(in: directory) { directory.write("manifests/more.yaml", Self.document.replacingOccurrences(of: "s1", with: "s2")) }
        #expect(changed?.files.keys.contains(directory.file("manifests/more.yaml")) == true)
    }

    @Test func aFileInADirectoryMadeAfterTheWatchStartedIsNoticed() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("manifests/sites.yaml", Self.document)
        let changed = try await change(in: directory) {
            try FileManager.default.createDirectory(atPath: directory.file("manifests/team-a/apps"), withIntermediateDirectories: true)
            directory.write("manifests/team-a/apps/app.yaml", Self.document.replacingOccurrences(of: "s1", with: "s3"))
        }
        #expect(changed?.files.keys.contains(directory.file("manifests/team-a/apps/app.yaml")) == true)
    }

    @Test func aNamedFileReplacedByARenameAndASecretFileAreNoticed() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("manifests/sites.yaml", Self.document)
        let file = directory.file("manifests/sites.yaml")
        let replaced = try await change(in: directory, paths: [file]) {
            directory.write("manifests/.sites.yaml.tmp", Self.document + "# edited\n")
            _ = rename(directory.file("manifests/.sites.yaml.tmp"), file)
        }
        #expect(replaced != nil)
        directory.write("secrets/token", "one")
        let secret = try await change(in: directory, extraFiles: [directory.file("secrets/token")]) { directory.write("secrets/token", "two") }
        #expect(secret != nil)
    }

    @Test func nothingChangedIsNotAChange() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("manifests/sites.yaml", Self.document)
        // An editor's swap file comes and goes; the manifests stay as they were.
        let changed = try await change(in: directory) {
            directory.write("manifests/.sites.yaml.swp", "x")
            try FileManager.default.removeItem(atPath: directory.file("manifests/.sites.yaml.swp"))
        }
        #expect(changed == nil)
    }
}

/// What wakes the manifest watch: anything under a manifest directory, and in its parent only
/// what names it (a busy home directory holding the manifests must not wake the daemon).
@Suite("Manifest directory watch")
struct ManifestDirectoryWatchTests {
    @Test func theParentCountsOnlyForTheManifestDirectory() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("home/manifests/team/app.yaml", "x: 1\n")
        directory.write("home/notes.txt", "")
        let manifests = directory.file("home/manifests")
        let watched = try #require(ManifestDirectoryWatch.directories(paths: [manifests], extraFiles: [directory.file("home/secret")]))
        #expect(watched[manifests] == .some(nil) && watched[manifests + "/team"] == .some(nil))
        // The parent holds a secret file too: its name counts there as well, and only the two.
        #expect(watched[directory.file("home")] == .some(["manifests", "secret"]))
        let parentOnly = try #require(ManifestDirectoryWatch.directories(paths: [manifests], extraFiles: []))
        #expect(parentOnly[directory.file("home")] == .some(["manifests"]))

        let watch = ManifestDirectoryWatch()
        guard case .watching = watch.arm(paths: [manifests], extraFiles: []) else { Issue.record("inotify is not available here"); return }
        try await Task.sleep(for: .milliseconds(100))
        _ = await watch.changed.wait(for: .zero, clock: SystemControllerClock())
        directory.write("home/notes.txt", "busy")
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()) == false, "a file beside the manifests woke nothing")
        directory.write("home/manifests/team/app.yaml", "x: 2\n")
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()), "a manifest did")
        try FileManager.default.moveItem(atPath: manifests, toPath: directory.file("home/manifests.old"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()), "the directory moved away did")
    }

    @Test func aManifestFileCountsOnlyByItsName() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("work/estate.yaml", "x: 1\n")
        directory.write("work/watch.log", "")
        let file = directory.file("work/estate.yaml")
        #expect(ManifestDirectoryWatch.directories(paths: [file], extraFiles: [])?[directory.file("work")] == .some(["estate.yaml"]))

        let watch = ManifestDirectoryWatch()
        guard case .watching = watch.arm(paths: [file], extraFiles: []) else { Issue.record("inotify is not available here"); return }
        try await Task.sleep(for: .milliseconds(100))
        _ = await watch.changed.wait(for: .zero, clock: SystemControllerClock())
        // The daemon's log beside the manifest, and a state directory there, wake nothing.
        directory.write("work/watch.log", "healed\n")
        directory.write("work/state/state.db", "x")
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()) == false, "a file beside the manifest woke nothing")
        // Replaced by a rename, as editors do: that counts.
        directory.write("work/.estate.yaml.tmp", "x: 2\n")
        _ = rename(directory.file("work/.estate.yaml.tmp"), file)
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()), "the manifest did")
    }

    /// A Kubernetes ConfigMap volume: `estate.yaml -> ..data/estate.yaml`, `..data -> ..2026_1`;
    /// an update writes a new timestamped directory and renames a new `..data` link over the old.
    @Test func aConfigMapVolumeUpdateCounts() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-inotify")
        defer { directory.remove() }
        directory.write("volume/..2026_1/estate.yaml", "x: 1\n")
        let volume = directory.file("volume")
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..2026_1")
        try FileManager.default.createSymbolicLink(atPath: volume + "/estate.yaml", withDestinationPath: "..data/estate.yaml")
        let file = volume + "/estate.yaml"
        #expect(ManifestDirectoryWatch.directories(paths: [file], extraFiles: [])?[volume] == .some(["estate.yaml", "..data"]))

        let watch = ManifestDirectoryWatch()
        guard case .watching = watch.arm(paths: [file], extraFiles: []) else { Issue.record("inotify is not available here"); return }
        try await Task.sleep(for: .milliseconds(100))
        _ = await watch.changed.wait(for: .zero, clock: SystemControllerClock())
        directory.write("volume/..2026_2/estate.yaml", "x: 2\n")
        try FileManager.default.createSymbolicLink(atPath: volume + "/..data_tmp", withDestinationPath: "..2026_2")
        _ = rename(volume + "/..data_tmp", volume + "/..data")
        try await Task.sleep(for: .milliseconds(200))
        #expect(await watch.changed.wait(for: .zero, clock: SystemControllerClock()), "swapping ..data counts")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x: 2\n")
    }
}
