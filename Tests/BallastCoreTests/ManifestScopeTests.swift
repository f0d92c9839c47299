import BallastCore
import BallastTesting
import Foundation
import Testing

/// A managed resource whose manifest still exists but was left out of the paths given is not
/// taken for removed; one whose file is gone, or inside a directory given, is.
@Suite("Manifest scope")
struct ManifestScopeTests {
    @Test func aFileLeftOutIsNamedRelativeToTheWorkingDirectory() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("estate/sites.yaml", "")
        directory.write("estate/team-a.yaml", "")
        directory.write("estate/team-b.yaml", "")
        let root = ManifestScope.canonical(directory.path)
        let scope = ManifestScope(paths: ["estate/sites.yaml", "estate/team-a.yaml"], workingDirectory: root)
        let teamB = ManifestScope.canonical("estate/team-b.yaml", in: root)
        #expect(teamB == root + "/estate/team-b.yaml")
        #expect(scope.notGiven(teamB) == .fileNotGiven("estate/team-b.yaml"))
        #expect(scope.notGiven(ManifestScope.canonical("estate/team-a.yaml", in: root)) == nil, "a file given")
        #expect(scope.notGiven(nil) == nil, "nothing recorded: standard input, a git source, or applied before it was recorded")
        let outside = ManifestScope(paths: ["estate/sites.yaml"], workingDirectory: root + "/estate/..")
        #expect(outside.notGiven(teamB) == .fileNotGiven("estate/team-b.yaml"), "`..` in the working directory is resolved")
        let elsewhere = ManifestScope(paths: [root + "/estate/sites.yaml"], workingDirectory: root + "/estate/deeper")
        #expect(elsewhere.notGiven(teamB) == .fileNotGiven(teamB), "outside the working directory: the absolute path")
    }

    /// A run that cannot name a file (standard input, a git checkout) never erases the file
    /// recorded before; a run that can names its own.
    @Test func aRunWithoutAFileKeepsTheOneRecordedBefore() {
        var resource = DesiredResource(id: ResourceID(kind: "Bucket", name: "b", site: "s"))
        #expect(ManifestScope.recorded(resource, fromGit: false, previous: "/srv/b.yaml") == "/srv/b.yaml", "standard input")
        #expect(ManifestScope.recorded(resource, fromGit: false, previous: nil) == nil)
        resource.manifest = "/srv/moved.yaml"
        #expect(ManifestScope.recorded(resource, fromGit: false, previous: "/srv/b.yaml") == "/srv/moved.yaml")
        #expect(ManifestScope.recorded(resource, fromGit: true, previous: "/srv/b.yaml") == "/srv/b.yaml", "a checkout's path is not recorded")
        #expect(ManifestScope.recorded(resource, fromGit: true, previous: nil) == nil)
    }

    /// A repository moved (or cloned elsewhere, or on another machine sharing the state): the
    /// declared resources say where their recorded files are now.
    @Test func aTreeThatMovedIsFollowedToWhereItIsNow() {
        var scope = ManifestScope(paths: ["/new/src/infra/estate/sites.yaml", "/new/src/infra/estate/team-a.yaml"], workingDirectory: "/new/src/infra")
        scope.learnRelocations([
            (recorded: "/old/infra/estate/team-a.yaml", current: "/new/src/infra/estate/team-a.yaml"),
            (recorded: "/old/infra/estate/sites.yaml", current: "/new/src/infra/estate/sites.yaml"),
            (recorded: "/srv/a.yaml", current: "/srv/b.yaml"),
            (recorded: "/same/x.yaml", current: "/same/x.yaml"),
        ])
        #expect(scope.relocations == [ManifestScope.Relocation(from: "/old", to: "/new/src")], "file names that differ say nothing")
        let present: Set = ["/new/src/infra/estate/team-b.yaml", "/new/src/infra/estate/sites.yaml", "/old/infra/estate/team-c.yaml"]
        #expect(scope.notGiven("/old/infra/estate/team-b.yaml", exists: present.contains) == .fileNotGiven("estate/team-b.yaml"), "gone where recorded, left out where it is now")
        #expect(scope.notGiven("/old/infra/estate/sites.yaml", exists: present.contains) == nil, "moved into the paths given: read")
        #expect(scope.notGiven("/old/infra/estate/team-d.yaml", exists: present.contains) == .goneFromDirectoryNotGiven(file: "estate/team-d.yaml", directory: "estate", directoryExists: false), "gone in both places, but only files were given: perhaps renamed")
        #expect(scope.notGiven("/old/infra/estate/team-c.yaml", exists: present.contains) == .fileNotGiven("/old/infra/estate/team-c.yaml"), "still where it was recorded: judged there")
        #expect(scope.notGiven("/elsewhere/team-e.yaml", exists: present.contains) == .goneFromDirectoryNotGiven(file: "/elsewhere/team-e.yaml", directory: "/elsewhere", directoryExists: false), "nowhere in the checkout in hand, whose directories were not given")
        var rootward = ManifestScope(paths: ["/b/x.yaml"], workingDirectory: "/")
        rootward.learnRelocations([(recorded: "/a/x.yaml", current: "/b/x.yaml"), (recorded: "/x.yaml", current: "/b/x.yaml")])
        #expect(rootward.relocations == [ManifestScope.Relocation(from: "/a", to: "/b")], "nothing is moved from or to /")
    }

    /// Where the tree went is concluded only from what is known: a relocation the declared
    /// resources show, whose old tree is gone from this machine. Without one, a file gone from
    /// another machine's checkout is kept (the engine then looks for its documents).
    @Test func aRemovalIsConcludedOnlyWhereTheTreeIsKnownToBe() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for file in ["infra/estate/sites.yaml", "infra/estate/teams/b.yaml", "infra/estate/new.yaml"] { directory.write(file, "") }
        let root = ManifestScope.canonical(directory.path)
        let scope = ManifestScope(paths: ["infra/estate/sites.yaml", "infra/estate/new.yaml"], workingDirectory: root)
        #expect(scope.checkoutDirectories == [root + "/infra/estate"])
        #expect(scope.notGiven("/builds/7/infra/estate/teams/gone.yaml") == .goneFromDirectoryNotGiven(file: "/builds/7/infra/estate/teams/gone.yaml", directory: "/builds/7/infra/estate/teams", directoryExists: false), "nowhere known, and no directory was given")
        #expect(scope.notGiven(root + "/infra/estate/teams/gone.yaml") == .goneFromDirectoryNotGiven(file: "infra/estate/teams/gone.yaml", directory: "infra/estate/teams", directoryExists: true))
        var whole = ManifestScope(paths: ["infra/estate"], workingDirectory: root)
        #expect(whole.notGiven("/builds/7/infra/estate/teams/gone.yaml") != nil, "where it went is not known: kept")
        whole.learnRelocations([(recorded: "/builds/7/infra/estate/sites.yaml", current: root + "/infra/estate/sites.yaml")])
        #expect(whole.placesItWouldBe("/builds/7/infra/estate/teams/gone.yaml") == ["/builds/7/infra/estate/teams/gone.yaml", root + "/infra/estate/teams/gone.yaml"])
        #expect(whole.notGiven("/builds/7/infra/estate/teams/gone.yaml") == nil, "the tree moved here (its old place is gone), and here it is not: removed")
        var subset = scope
        subset.learnRelocations([(recorded: "/builds/7/infra/estate/sites.yaml", current: root + "/infra/estate/sites.yaml")])
        #expect(subset.notGiven("/builds/7/infra/estate/teams/b.yaml") == .fileNotGiven("infra/estate/teams/b.yaml"), "where the tree went, and not given")
        // A relocation whose old tree still exists (one document moved between directories)
        // says nothing of the other files there.
        var sideways = ManifestScope(paths: ["infra/estate"], workingDirectory: root)
        sideways.learnRelocations([(recorded: root + "/infra/old/sites.yaml", current: root + "/infra/estate/sites.yaml")])
        directory.write("infra/old/kept.yaml", "")
        #expect(sideways.placesItWouldBe(root + "/infra/old/gone.yaml") == [root + "/infra/old/gone.yaml"])
        #expect(sideways.notGiven(root + "/infra/old/gone.yaml") == .goneFromDirectoryNotGiven(file: "infra/old/gone.yaml", directory: "infra/old", directoryExists: true))
    }

    /// `ballast apply estate/*.yaml` reads the directory as surely as `ballast apply estate`: a
    /// file gone from it is a removal. Unless a file there was not given (where a renamed one
    /// may be).
    @Test func aDirectoryWhoseEveryFileWasGivenWasRead() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for file in ["estate/sites.yaml", "estate/team-a.yaml", "estate/deep/c.yaml"] { directory.write(file, "") }
        let root = ManifestScope.canonical(directory.path)
        let glob = ManifestScope(paths: ["estate/sites.yaml", "estate/team-a.yaml", "estate/deep/c.yaml"], workingDirectory: root)
        #expect(glob.isGivenInFull(root + "/estate"))
        #expect(glob.notGiven(root + "/estate/team-b.yaml") == nil, "gone from a directory read in full: removed")
        let partial = ManifestScope(paths: ["estate/sites.yaml", "estate/team-a.yaml"], workingDirectory: root)
        #expect(!partial.isGivenInFull(root + "/estate"), "estate/deep/c.yaml was not given")
        #expect(partial.notGiven(root + "/estate/team-b.yaml") == .goneFromDirectoryNotGiven(file: "estate/team-b.yaml", directory: "estate", directoryExists: true))
        #expect(!glob.isGivenInFull(root), "not a directory of a file given")
    }

    @Test func aDirectoryGivenCoversEverythingUnderItAndNothingBesideIt() {
        let scope = ManifestScope(paths: ["/srv/estate/teams", "/srv/estate/sites.yaml"], workingDirectory: "/")
        #expect(scope.covers("/srv/estate/teams/a.yaml"))
        #expect(scope.covers("/srv/estate/teams/deep/er/b.yaml"))
        #expect(scope.covers("/srv/estate/sites.yaml"))
        #expect(!scope.covers("/srv/estate/teams-old/a.yaml"), "a sibling whose name starts the same is not inside")
        #expect(!scope.covers("/srv/estate/other.yaml"))
        #expect(ManifestScope(paths: ["/"], workingDirectory: "/").covers("/anything.yaml"))
    }

    @Test func aFileThatIsGoneOrNotAFileIsARemoval() {
        let scope = ManifestScope(paths: ["/srv/estate/a.yaml"], workingDirectory: "/")
        #expect(scope.notGiven("/srv/estate/b.yaml", exists: { _ in false }) == .goneFromDirectoryNotGiven(file: "srv/estate/b.yaml", directory: "srv/estate", directoryExists: false), "a file given: the one gone beside it may have been renamed")
        #expect(ManifestScope(paths: ["/srv/estate"], workingDirectory: "/").notGiven("/srv/estate/b.yaml", exists: { _ in false }) == nil, "its directory given: removed")
        #expect(scope.notGiven("/srv/estate/b.yaml", exists: { _ in true }) == .fileNotGiven("srv/estate/b.yaml"))
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(!ManifestScope.isPresent(directory.path), "a directory where the file was")
        #expect(!ManifestScope.isPresent(directory.file("missing.yaml")))
        directory.write("there.yaml", "")
        #expect(ManifestScope.isPresent(directory.file("there.yaml")))
        // What cannot be looked at may still be there: kept, not taken for removed.
        try? FileManager.default.createSymbolicLink(atPath: directory.file("loop.yaml"), withDestinationPath: directory.file("loop.yaml"))
        #expect(ManifestScope.isPresent(directory.file("loop.yaml")), "a link loop (ELOOP)")
        #expect(!ManifestScope.isPresent(directory.file("there.yaml/below.yaml")), "a file where a directory was")
    }

    @Test func aTreeGivenThroughALinkIsTheSameTree() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("estate/a.yaml", "")
        try FileManager.default.createSymbolicLink(atPath: directory.file("linked"), withDestinationPath: directory.file("estate"))
        let recorded = ManifestScope.canonical(directory.file("estate/a.yaml"))
        let scope = ManifestScope(paths: [directory.file("linked")])
        #expect(scope.covers(recorded))
        #expect(ManifestScope.canonical(directory.file("linked/a.yaml")) == recorded)
    }

    @Test func standardInputIsNoPathAndAGitSourceHasNoScope() {
        #expect(ManifestScope(paths: ["-", "/srv/a.yaml"], workingDirectory: "/").roots == ["/srv/a.yaml"])
        #expect(ManifestScope.forRun(paths: ["/srv/checkout/estate"], fromGit: true) == nil)
        #expect(ManifestScope.forRun(paths: [], fromGit: false) == nil)
        #expect(ManifestScope.forRun(paths: ["/srv/estate"], fromGit: false) != nil)
    }

    /// A directory's walk passes over hidden names; the scope still covers them (a link there
    /// may lead into one, as a Kubernetes volume's do), and what hidden files declare is asked of
    /// the files themselves. The search for moved documents lists hidden files too.
    @Test func hiddenNamesAreNotWalkedButAskedForWhatTheyDeclare() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let bucket = "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: b, site: s }\nspec: {}\n"
        directory.write("estate/a.yaml", "")
        directory.write("estate/.team/b.yaml", bucket)
        directory.write("estate/.c.yaml", "")
        directory.write("estate/.git/config.yaml", bucket)
        let root = ManifestScope.canonical(directory.path)
        let walk = ManifestDirectoryWalk(root + "/estate")
        #expect(walk.files == [root + "/estate/a.yaml"] && walk.directories.isEmpty && walk.hiddenManifests == 1)
        #expect(ManifestDirectoryWalk(root + "/estate", includesHidden: true).files == [root + "/estate/.c.yaml", root + "/estate/.team/b.yaml", root + "/estate/a.yaml"], "never .git")
        #expect(ManifestScope(paths: ["estate"], workingDirectory: root).covers(root + "/estate/.team/b.yaml"))
        let named = ManifestScope(paths: ["estate/a.yaml"], workingDirectory: root)
        #expect(named.unreadManifests(under: root + "/estate") == [root + "/estate/.c.yaml", root + "/estate/.team/b.yaml"])
        let hidden = HiddenDeclarations(directories: [root + "/estate", root + "/estate/a.yaml"])
        #expect(hidden.file(declaring: ResourceID(kind: "Bucket", name: "b", site: "s")) == root + "/estate/.team/b.yaml")
        #expect(hidden.file(declaring: ResourceID(kind: "Bucket", name: "b", site: "other")) == nil)
        #expect(HiddenDeclarations(directories: [root + "/estate/.team/b.yaml"]).file(declaring: ResourceID(kind: "Bucket", name: "b", site: "s")) == nil, "files are not searched")
    }

    @Test func theLoaderRecordsEachResourcesManifest() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let sites = "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: {name: lab}\nspec: {class: cloud, provider: sim}\n"
        directory.write("sites.yaml", sites)
        directory.write("team/b.yaml", "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {name: b, site: lab}\nspec: {}\n")
        let loader = ManifestLoader(catalog: simCatalog)
        let loaded = loader.load(paths: [directory.path])
        let desired = try #require(loaded.desired, "\(loaded.diagnostics.items)")
        #expect(desired.resources.map(\.manifest) == [ManifestScope.canonical(directory.file("team/b.yaml"))])
        let piped = loader.load(paths: ["-"], readStandardInput: { Array((sites + "---\napiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: {name: b, site: lab}\nspec: {}\n").utf8) })
        #expect(try #require(piped.desired).resources.map(\.manifest) == [nil], "standard input has no file")
        // The same file named twice, or through a link, is one input (not a duplicate resource).
        try FileManager.default.createSymbolicLink(atPath: directory.file("linked-b.yaml"), withDestinationPath: directory.file("team/b.yaml"))
        let twice = loader.load(paths: [directory.path, directory.path + "/./team/b.yaml", directory.file("linked-b.yaml")])
        #expect(!twice.diagnostics.hasErrors, "\(twice.diagnostics.items)")
        #expect(try #require(twice.desired).resources.map(\.manifest) == [ManifestScope.canonical(directory.file("team/b.yaml"))])
    }
}
