import ArgumentParser
import MDMBatchKit

/// `N/SECONDS` (at most N in any window of SECONDS) or `off`, parsed once.
struct Pace: ExpressibleByArgument, Sendable {
    var policy: RatePolicy?

    init?(argument: String) {
        guard let policy = RatePolicy.parse(argument) else { return nil }
        self.policy = policy
    }

    init(_ policy: RatePolicy?) { self.policy = policy }

    var defaultValueDescription: String { policy?.description ?? "off" }
}

/// A duration: `90`, `90s`, `15m`, `2h`, `1d`.
struct Span: ExpressibleByArgument, Sendable {
    var seconds: Double

    init?(argument: String) {
        guard let seconds = TimeSpan.seconds(argument) else { return nil }
        self.seconds = seconds
    }
}

/// `--max-field-bytes`, for every command that reads an input file.
struct InputLimitOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "The longest field an input file may hold, in bytes (1 to 16777216); a longer one refuses the file.")
    var maxFieldBytes = InputLimits.standard.maxFieldBytes

    func validate() throws {
        guard (1...16_777_216).contains(maxFieldBytes) else {
            throw ValidationError("--max-field-bytes must be 1 to 16777216, not \(maxFieldBytes)")
        }
    }

    var limits: InputLimits { InputLimits(maxFieldBytes: maxFieldBytes) }
}
