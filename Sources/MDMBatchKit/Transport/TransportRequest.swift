import Foundation

/// The transport flags as given on a command line: nil where a flag was left out, so that
/// a resumed run takes the value it recorded, and only an explicit different one is refused.
public struct TransportRequest: Sendable, Equatable {
    public var kind: TransportSettings.Kind?
    public var graphURL: String?
    public var authorityURL: String?
    public var readRate: RatePolicy??
    public var readTimeout: Double?
    public var mockJournal: String?
    public var mockMemory: String?
    /// The Graph flags given (`--graph-url`, `--credentials`, …): without Graph they would
    /// be silently ignored, so they need `--transport graph`, or a resumed run that recorded it.
    public var graphFlags: [String] = []
    /// The mock's behaviour (latency, faults, seed, …): a test knob, taken as given.
    public var mock: @Sendable (inout TransportSettings) -> Void = { _ in }

    public init() {}

    public static func == (a: TransportRequest, b: TransportRequest) -> Bool {
        a.kind == b.kind && a.graphURL == b.graphURL && a.authorityURL == b.authorityURL && a.readRate == b.readRate
            && a.readTimeout == b.readTimeout && a.mockJournal == b.mockJournal && a.mockMemory == b.mockMemory
            && a.graphFlags == b.graphFlags
    }

    /// The settings of a new run: what was asked, defaults elsewhere; the mock's files
    /// beside the database.
    public func settings(databasePath: String?) -> TransportSettings {
        var settings = TransportSettings()
        apply(to: &settings)
        let base = databasePath ?? "mdmbatch.sqlite"
        if settings.kind == .mock {
            settings.mockJournal = mockJournal ?? base + ".mock-journal.jsonl"
            settings.mockMemory = mockMemory ?? base + ".mock-service.jsonl"
        }
        return settings
    }

    /// The settings of a resumed run: its own, where this request says nothing; an
    /// explicit different service or URL is refused (the run would talk to another service).
    public func settings(resuming recorded: TransportSettings, runID: String) throws -> TransportSettings {
        // a URL differs when it names another endpoint, not for a trailing slash or the case of its host
        let url = { (text: String?) in text.map { (try? GraphEndpoint(role: "URL", $0).text) ?? $0 } }
        let identity: [(flag: String, asked: String?, recorded: String?, same: Bool)] = [
            ("--transport", kind?.rawValue, recorded.kind.rawValue, kind == recorded.kind),
            ("--graph-url", graphURL, recorded.graphURL, url(graphURL) == url(recorded.graphURL)),
            ("--authority-url", authorityURL, recorded.authorityURL, url(authorityURL) == url(recorded.authorityURL)),
            ("--mock-journal", mockJournal, recorded.mockJournal, mockJournal == recorded.mockJournal),
            ("--mock-memory", mockMemory, recorded.mockMemory, mockMemory == recorded.mockMemory),
        ]
        for (flag, asked, was, same) in identity where asked != nil && !same {
            throw TransportSettingsError.differs(runID: runID, flag: flag, recorded: was ?? "(none)", asked: asked!)
        }
        var settings = recorded
        apply(to: &settings)
        try checkGraphFlags(settings, resumed: runID)
        return settings
    }

    /// Graph flags are for Graph: refused (64) when `settings` (a new run's, or the resumed
    /// run's) do not talk to it.
    public func checkGraphFlags(_ settings: TransportSettings, resumed runID: String? = nil) throws {
        guard settings.kind != .graph, let flag = graphFlags.first else { return }
        throw TransportSettingsError.graphFlagWithoutGraph(flag: flag, resumed: runID)
    }

    private func apply(to settings: inout TransportSettings) {
        if let kind { settings.kind = kind }
        if let graphURL { settings.graphURL = graphURL }
        if let authorityURL { settings.authorityURL = authorityURL }
        if let readRate { settings.readRate = readRate }
        if let readTimeout { settings.readTimeout = readTimeout }
        mock(&settings)
    }
}

public enum TransportSettingsError: LocalizedError, ClassifiedError, Equatable {
    case differs(runID: String, flag: String, recorded: String, asked: String)
    /// A Graph flag on a run that does not talk to Graph (the resumed run's id, if any).
    case graphFlagWithoutGraph(flag: String, resumed: String?)

    public var errorDescription: String? {
        switch self {
        case .differs(let runID, let flag, let recorded, let asked):
            "run \(runID) of this batch was started with \(flag) \(recorded): it resumes with it, not \(asked) "
                + "(leave \(flag) out, or pass \(recorded))"
        case .graphFlagWithoutGraph(let flag, let runID?):
            "\(flag) is a Graph option, and run \(runID) of this batch, which this resumes, uses the mock: leave \(flag) out"
        case .graphFlagWithoutGraph(let flag, nil):
            "\(flag) is a Graph option: pass --transport graph to send to Graph (without it this run would go to the mock)"
        }
    }

    public var failureKind: FailureKind { .usage }
}
