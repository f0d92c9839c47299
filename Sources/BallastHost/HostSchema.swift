import BallastCore

/// The `host` provider's kinds and site configuration.
enum HostSchema {
    static let providerName = "host"

    static let file = KindSchema(
        kind: "File", summary: "A file, written atomically (a temporary file, then rename).",
        fields: [
            FieldSchema("path", .string, required: true, immutable: true, summary: "Absolute, or relative to the site's root; must stay inside the root after `..` (checked by validate) and symlinks (checked on the host).", confinedTo: "root"),
            FieldSchema("content", .string, summary: "The whole content; or use `source`.", digestOutput: "sha256"),
            FieldSchema("source", .string, summary: "A file whose text becomes the content, relative to the manifest; read when the manifests are loaded.", loadsFileInto: "content"),
            FieldSchema("mode", .string, default: .string("0644"), summary: "Octal permissions."),
        ],
        outputs: [FieldSchema("sha256", .string, computed: true, summary: "SHA-256 of the content.")])

    static let directory = KindSchema(
        kind: "Directory", summary: "A directory (parents are created).",
        fields: [
            FieldSchema("path", .string, required: true, immutable: true, summary: "Absolute, or relative to the site's root; must stay inside the root.", confinedTo: "root"),
            FieldSchema("mode", .string, default: .string("0755"), summary: "Octal permissions."),
        ])

    static let process = KindSchema(
        kind: "Process", summary: "A supervised long-running process, detached, its output in ROOT/.ballast-host/NAME.log. When it dies it is reported missing, and apply (or watch) starts it again.",
        fields: [
            FieldSchema("command", .string, required: true, immutable: true, summary: "The program (found on the host's PATH, or a path)."),
            FieldSchema("args", .list(.string), default: .list([]), immutable: true, summary: "Arguments, each passed as one word."),
            FieldSchema("env", .map(.string), default: .map(Fields()), immutable: true, summary: "Environment variables added to the host's."),
            FieldSchema("workingDir", .string, default: .string("."), immutable: true, summary: "Relative to the site's root; must stay inside it.", confinedTo: "root"),
        ],
        outputs: [FieldSchema("pid", .int, computed: true, summary: "The process id.")])

    static let siteConfig: [FieldSchema] = [
        FieldSchema("root", .string, required: true, summary: "Every path the site manages lies under this directory. Local: a relative root is under the state directory. SSH: absolute."),
        FieldSchema("transport", .string, allowed: ["local", "ssh"], default: .string("local"), summary: "This machine, or a host over SSH."),
        FieldSchema("host", .string, summary: "SSH: the host name or address."),
        FieldSchema("port", .int, default: .int(22), range: 1...65_535, summary: "SSH: the port."),
        FieldSchema("user", .string, summary: "SSH: the user (else the SSH default)."),
        FieldSchema("identityFile", .string, summary: "SSH: the private key."),
        FieldSchema("knownHostsFile", .string, summary: "SSH: the known_hosts file the host key is checked against (strictly)."),
        FieldSchema("timeoutSeconds", .int, default: .int(30), range: 1...86_400, summary: "The timeout of every call (a script of several writes gets more; see below)."),
    ]

    static let documentation = """
    Files, directories and supervised processes on a host: this machine (`transport: local`) or
    one reached with the system OpenSSH client (`transport: ssh`, in batch mode, with a shared
    master connection per host and a timeout on every call). A data-centre site is such a host.

    Every path is confined to the site's `spec.config.root`: a path that leaves it (after `..`,
    checked before any call, and after symlinks, checked on the host) is refused. Scripts go to
    `sh -s` on the host's standard input and every manifest value in them is single-quoted, so
    names with spaces, quotes, `$(…)` or `;` are only ever data. Observe sends one script per
    site for all its resources (one SSH round trip), which starts a constant number of
    processes however many files there are: one `realpath`, one `stat`, one `sha256sum` and one
    `cat` pass. The `cat` pass reads only the files whose SHA-256 differs from the one Ballast
    recorded when it wrote them (`ROOT/.ballast-host/File.NAME.sha256`): an unchanged file is
    reported by its digest, and the plan takes its content to be the declared one (or the one last
    applied) only when that content has this very digest; a file changed on the host is read, so
    that the plan shows the diff. Writes of files and directories that go to one site at the same
    time (as many as `--parallelism` runs at once) share one script, up to 256 in it: each runs in its
    own subshell and succeeds or fails alone, and such a script's timeout is `timeoutSeconds`
    plus a tenth of it for each write after the first (at most ten times); a write that hangs
    holds up the others in its script until then, and they all fail as timed out. A process
    starts in a script of its own. A file Ballast did not write is never
    overwritten (unless it already holds the desired content, which is adopted), and only empty
    directories are removed. Processes run detached (`setsid nohup`), with their pid, spec and
    log in `ROOT/.ballast-host/`.
    """

    static var schema: ProviderSchema {
        ProviderSchema(provider: providerName, kinds: [file, directory, process], siteConfig: siteConfig, documentation: documentation)
    }
}
