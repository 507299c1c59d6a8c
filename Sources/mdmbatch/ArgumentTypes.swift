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

/// `--max-field-bytes` and `--max-record-bytes`, for every command that reads an input file.
struct InputLimitOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: "The longest field an input file may hold, in bytes (1 to 16777216); a longer one refuses the file.")
    var maxFieldBytes = InputLimits.standard.maxFieldBytes

    @Option(name: .long, parsing: .unconditional,
            help: "The largest record (a JSONL line, a JSON object) an input may hold, in bytes (1 to 268435456); a larger one refuses the input.")
    var maxRecordBytes = InputLimits.standard.maxRecordBytes

    func validate() throws {
        guard (1...16_777_216).contains(maxFieldBytes) else {
            throw ValidationError("--max-field-bytes must be 1 to 16777216, not \(maxFieldBytes)")
        }
        guard (1...268_435_456).contains(maxRecordBytes) else {
            throw ValidationError("--max-record-bytes must be 1 to 268435456, not \(maxRecordBytes)")
        }
    }

    var limits: InputLimits { InputLimits(maxFieldBytes: maxFieldBytes, maxRecordBytes: maxRecordBytes) }
}
