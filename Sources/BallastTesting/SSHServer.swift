import Foundation

/// A real OpenSSH server for tests: `/usr/sbin/sshd -f CONFIG -D` on 127.0.0.1 and a free port,
/// with a throwaway host key and a throwaway client key (openssh-server is installed with apt
/// when missing). Stop it with `stop()`.
public final class SSHServer: @unchecked Sendable {
    public let port: Int
    public let directory: TemporaryDirectory
    public var identityFile: String { directory.file("client_key") }
    public var knownHostsFile: String { directory.file("known_hosts") }
    public var user: String { NSUserName() }
    private var pid: pid_t = 0

    public init() throws {
        try Self.install()
        directory = TemporaryDirectory(prefix: "ballast-sshd")
        port = try FreePort.find()
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        try Self.shell("ssh-keygen -q -t ed25519 -N '' -f \(directory.file("host_key")) && ssh-keygen -q -t ed25519 -N '' -f \(identityFile)")
        try FileManager.default.copyItem(atPath: identityFile + ".pub", toPath: directory.file("authorized_keys"))
        let hostKey = try String(contentsOfFile: directory.file("host_key.pub"), encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        directory.write("known_hosts", "[127.0.0.1]:\(port) \(hostKey)\n")
        directory.write("sshd_config", """
        ListenAddress 127.0.0.1
        Port \(port)
        HostKey \(directory.file("host_key"))
        AuthorizedKeysFile \(directory.file("authorized_keys"))
        PidFile \(directory.file("sshd.pid"))
        UsePAM no
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        LogLevel ERROR

        """)
        // Spawned and reaped directly (not with Foundation's Process, whose child monitoring
        // does not get along with daemons that outlive the commands around them).
        let arguments = ["/usr/sbin/sshd", "-f", directory.file("sshd_config"), "-D", "-e"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        guard posix_spawn(&pid, "/usr/sbin/sshd", &actions, nil, argv, environ) == 0 else {
            throw TestServerUnavailable(description: "cannot start /usr/sbin/sshd")
        }
        for _ in 0..<100 {
            if (try? Self.shell("ssh -o BatchMode=yes -o ConnectTimeout=2 -o UserKnownHostsFile=\(knownHostsFile) -i \(identityFile) -p \(port) \(user)@127.0.0.1 true")) != nil { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw TestServerUnavailable(description: "sshd did not accept connections on 127.0.0.1:\(port)")
    }

    public func stop() {
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            pid = 0
        }
        directory.remove()
    }

    static func install() throws {
        guard !FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else { return }
        try shell("(apt-get install -y openssh-server || (apt-get update && apt-get install -y openssh-server)) >/dev/null 2>&1")
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw TestServerUnavailable(description: "openssh-server is not installed and apt-get could not install it")
        }
    }

    /// Runs a shell command with its output discarded; throws when it fails.
    static func shell(_ command: String) throws {
        let status = system("DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND; ( \(command) ) </dev/null >/dev/null 2>&1")
        guard status == 0 else { throw TestServerUnavailable(description: "'\(command)' failed (\(status))") }
    }
}
