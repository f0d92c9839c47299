import BallastCore
import BallastEngine
import BallastProviders
import BallastStore
import Foundation
import Logging

/// The collaborators one CLI run uses, built from its options. Nothing here is global.
struct Runtime {
    let stateDirectory: String
    let logger: Logger
    let simWorld: SimWorldStore
    let registry: ProviderRegistry
    let store: any StateStore

    init(_ options: RuntimeOptions) {
        stateDirectory = options.stateDirectory
        let level: Logger.Level = options.verbose ? .debug : .error
        var logger = Logger(label: "ballast") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        logger.logLevel = level
        self.logger = logger
        simWorld = SimWorldStore(directory: stateDirectory + "/sim")
        registry = ProviderRegistry([SimProvider(world: simWorld)])
        store = InMemoryStateStore()
    }

    func planService() -> PlanService {
        PlanService(registry: registry, store: store, logger: logger)
    }
}

/// Terminal output helpers.
enum Terminal {
    static var colourEnabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(STDOUT_FILENO) == 1
    }

    static var style: TerminalStyle { TerminalStyle(enabled: colourEnabled) }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func readStandardInput() -> [UInt8] {
        [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    static func report(_ diagnostics: Diagnostics, files: SourceFiles) {
        let text = DiagnosticRenderer(files: files).render(diagnostics)
        if !text.isEmpty { standardError(text) }
    }
}
