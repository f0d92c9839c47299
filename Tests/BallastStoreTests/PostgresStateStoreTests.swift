import BallastCore
import BallastPostgres
import BallastState
import BallastTesting
import Foundation
import Testing

@Suite("PostgreSQL URL")
struct PostgresURLTests {
    @Test func everyPartIsReadAndThePasswordIsNeverShown() throws {
        let url = try PostgresURL(parsing: "postgres://ci%40ballast:s3cr%2Ft@db.internal:6432/infra?schema=prod&sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.user == "ci@ballast")
        #expect(url.password == "s3cr/t")
        #expect(url.host == "db.internal")
        #expect(url.port == 6432)
        #expect(url.database == "infra")
        #expect(url.schema == "prod")
        #expect(url.tls == .verifyFull)
        #expect(url.rootCertificate == "/etc/ca.pem")
        #expect(url.description == "postgres://ci@ballast@db.internal:6432/infra?schema=prod")
        #expect(!url.description.contains("s3cr"))
    }

    @Test func defaultsFollowLibpqAndThePasswordMayComeFromTheEnvironmentOrAFile() throws {
        let url = try PostgresURL(parsing: "postgresql://ballast@db/ballast", environment: ["PGPASSWORD": "from-env"])
        #expect(url.port == 5432)
        #expect(url.schema == PostgresURL.defaultSchema)
        #expect(url.tls == .prefer)
        #expect(url.password == "from-env")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("pw", "from-file\n")
        #expect(try PostgresURL(parsing: "postgres://u@h/d", passwordFile: directory.file("pw")).password == "from-file")
        #expect(try PostgresURL(parsing: "postgres://u:in-url@h/d", environment: ["PGPASSWORD": "env"]).password == "in-url", "the URL wins")
    }

    @Test(arguments: [
        ("postgres://u@h/d?schema=Prod", "schema must be a lowercase name"),
        ("postgres://u@h/d?schema=a;drop", "schema must be a lowercase name"),
        ("postgres://u@h/d?sslmode=maybe", "sslmode must be one of"),
        ("postgres://u@h/d?search_path=x", "unknown PostgreSQL URL parameter 'search_path'"),
        ("postgres://u@h:0/d", "port must be a number"),
    ])
    func mistakesAreNamed(_ text: String, _ message: String) {
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(parsing: text) }
        do {
            _ = try PostgresURL(parsing: text)
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func onlyPostgresSchemesArePostgres() {
        #expect(PostgresURL.isPostgres("postgres://h/d"))
        #expect(PostgresURL.isPostgres("PostgreSQL://h/d"))
        #expect(!PostgresURL.isPostgres(".ballast"))
        #expect(PostgresURL.isPostgres("postgres:/one-slash"), "a mistyped URL is still meant as one")
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(parsing: "postgres:/one-slash") }
        #expect(PostgresURL.redacted("postgres://u:secret@h/d").contains("***"))
        #expect(!PostgresURL.redacted("postgres://u:secret@h/d").contains("secret"))
    }
}

@Suite("PostgreSQL state store", .serialized)
struct PostgresStateStoreTests {
    @Test func processesMigratingAtOnceLeaveOneSchema() async throws {
        let server = try await postgres.value
        let url = try PostgresURL(parsing: try server.createDatabase())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { _ = try await PostgresStateStore.open(url, access: .create, logger: quietLogger) }
            }
            try await group.waitForAll()
        }
        #expect(try server.sql("SELECT count(*) FROM ballast.schema_version", database: url.database).trimmingCharacters(in: .whitespacesAndNewlines) == "13", "one row per migration (13), each applied once")
    }

    @Test func aSchemaNewerThanTheBinaryIsRefusedNamingBothVersions() async throws {
        let server = try await postgres.value
        let url = try PostgresURL(parsing: try server.createDatabase())
        _ = try await PostgresStateStore.open(url, access: .create, logger: quietLogger)
        try server.sql("INSERT INTO ballast.schema_version (version, name) VALUES (99, 'from the future')", database: url.database)
        for access in [PostgresStateStore.Access.create, .existing, .readOnly] {
            do {
                _ = try await PostgresStateStore.open(url, access: access, logger: quietLogger)
                Issue.record("a newer schema must be refused")
            } catch let error as StoreError {
                #expect(!error.isRetryable)
                #expect(error.description.contains("version 99") && error.description.contains("up to 13"), "\(error)")
            }
        }
    }

    @Test func onlyCommandsThatMayCreateAStateCreateOne() async throws {
        let server = try await postgres.value
        let url = try PostgresURL(parsing: try server.createDatabase(schema: "staging"))
        for access in [PostgresStateStore.Access.existing, .readOnly] {
            await #expect(throws: PostgresStateStore.NoState.self) { _ = try await PostgresStateStore.open(url, access: access, logger: quietLogger) }
        }
        #expect(try server.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'staging'", database: url.database).hasPrefix("0"), "nothing was created")
        _ = try await PostgresStateStore.open(url, access: .create, logger: quietLogger)
        _ = try await PostgresStateStore.open(url, access: .readOnly, logger: quietLogger)
    }

    @Test func schemasInOneDatabaseAreSeparateEstates() async throws {
        let server = try await postgres.value
        let base = try server.createDatabase()
        let prod = try await PostgresStateStore.open(try PostgresURL(parsing: base + "&schema=prod"), access: .create, logger: quietLogger)
        let staging = try await PostgresStateStore.open(try PostgresURL(parsing: base + "&schema=staging"), access: .create, logger: quietLogger)
        let id = ResourceID(kind: "Bucket", name: "a", site: "s")
        try await prod.upsert(InventoryEntry(id: id, spec: Fields(), specDigest: "d", createdAt: Date(), updatedAt: Date()))
        #expect(try await prod.inventory().count == 1)
        #expect(try await staging.inventory().isEmpty)
        _ = try await prod.acquireLock(LockHolder(command: "ballast apply"), wait: .zero)
        guard case .acquired = try await staging.acquireLock(LockHolder(command: "ballast apply"), wait: .zero) else {
            Issue.record("each schema has its own lease")
            return
        }
    }

    @Test func anUnreachableDatabaseIsARetryableErrorNamingIt() async throws {
        let port = try FreePort.find()
        let url = try PostgresURL(parsing: "postgres://ballast:hunter2@127.0.0.1:\(port)/ballast?sslmode=disable")
        do {
            _ = try await PostgresStateStore.open(url, access: .create, logger: quietLogger)
            Issue.record("nothing listens there")
        } catch let error as StoreError {
            #expect(error.isRetryable)
            #expect(error.description.contains("127.0.0.1:\(port)"), "\(error)")
            #expect(!error.description.contains("hunter2"))
        }
    }
}

@Suite("PostgreSQL that never answers")
struct SilentPostgresTests {
    @Test func aServerThatAcceptsButNeverAnswersFailsTheCommandInsteadOfHangingIt() async throws {
        // A listening socket that accepts connections and says nothing, as a wedged server or a
        // black-holing proxy would.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(descriptor, 16)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let url = try PostgresURL(parsing: "postgres://ballast@127.0.0.1:\(port)/ballast?sslmode=disable")
        do {
            _ = try await PostgresStateStore.open(url, access: .create, logger: quietLogger, operationTimeout: .seconds(2))
            Issue.record("nothing answers there")
        } catch let error as StoreError {
            #expect(error.isRetryable)
            #expect(error.description.contains("did not answer within 2"), "\(error)")
        }
    }
}
