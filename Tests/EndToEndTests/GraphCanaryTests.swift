import Foundation
import Testing

/// Secrets never rest where they do not belong (DESIGN "Secrets", "Credentials"): a canary
/// run over Graph, then every place mdmbatch writes is searched for them.
@Suite("Graph end to end: the secret canary", .serialized)
struct GraphCanaryTests {
    /// A client secret nobody could mistake.
    static let canary = "CANARY~client-secret.Zq7wX2e2e"

    /// `graph-sim`'s access tokens: 48 random bytes in base64url, 64 characters, no prefix.
    /// A run of at least 64 base64url characters mixing upper case, lower case and digits is
    /// taken for one (SHA-256 hashes are lower-case hex, UUIDs are shorter).
    static func tokenShaped(_ text: String) -> [String] {
        var found: [String] = []
        var run = ""
        func flush() {
            if run.count >= 64, run.contains(where: \.isUppercase), run.contains(where: \.isLowercase), run.contains(where: \.isNumber),
               !run.allSatisfy(\.isHexDigit) {
                found.append(run)
            }
            run = ""
        }
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_") {
                run.append(character)
            } else {
                flush()
            }
        }
        flush()
        return found
    }

    /// `secret` (all digits) in `text`, not as part of a longer number.
    static func containsNumber(_ text: String, _ secret: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let range = text.range(of: secret, range: searchRange) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before?.isNumber ?? false) && !(after?.isNumber ?? false) { return true }
            searchRange = range.upperBound..<text.endIndex
        }
        return false
    }

    /// A file's bytes as text, byte for byte (ISO Latin-1), so that a binary file is searched too.
    static func bytes(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .isoLatin1)
    }

    /// `sqlite3 .dump` of a copy of the database and its WAL: every value quoted on its own,
    /// as the raw pages (where a record's fields touch) cannot show them.
    static func dump(_ cli: CLIHarness, _ database: String, as name: String) throws -> String {
        let copy = cli.path(name)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: database + suffix) {
            try? FileManager.default.removeItem(atPath: copy + suffix)
            try FileManager.default.copyItem(atPath: database + suffix, toPath: copy + suffix)
        }
        let result = try CLIHarness.execute(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", "-bail", copy, ".dump"], in: cli.directory)
        guard result.status == 0, result.stdout.contains("CREATE TABLE") else { throw HarnessError("cannot dump \(database): \(result)") }
        return result.stdout
    }

    @Test("canary: the client secret, access tokens, passcodes and unlock PINs appear in none of the database, its WAL, the logs (text and JSON), the reports or the exports")
    func canary() async throws {
        let cli = try CLIHarness()
        let devices: [GraphFleet.Device] = [
            GraphFleet.Device(id: "mac-0", platform: "macOS", version: "14.2", action: "lock"),
            GraphFleet.Device(id: "mac-1", platform: "macOS", version: "14.5", action: "lock"),
            GraphFleet.Device(id: "af-0", platform: "Android", version: "14", enrollment: "fully_managed", action: "reset_passcode"),
            GraphFleet.Device(id: "af-1", platform: "Android", version: "13", enrollment: "fully_managed", action: "reset_passcode"),
            .iPhone("ip-0"),
        ]
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"], secret: Self.canary)
        let environment = sim.secretEnvironment()
        var texts: [(String, String)] = []  // (where, what was written there)
        var raw: [(String, String)] = []  // binary files, byte for byte

        // a reader holds the database open, so that the WAL the run writes stays on disk to be searched
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["sqlite3", cli.database]
        let holderInput = Pipe()
        holder.standardInput = holderInput
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        holderInput.fileHandleForWriting.write(Data("SELECT count(*) FROM devices;\n".utf8))

        let run = try await cli.mdm(["run", batch, "--rules", "intune-2025", "--confirm", "--confirm-wait", "30",
                                     "--passcodes-out", cli.path("p.csv"), "--report", cli.path("r.json"),
                                     "--report-html", cli.path("r.html"), "--log-format", "json"] + sim.flags + ["--rate", "off"],
                                    environment: environment)
        #expect(run.status == 0, "\(run)")
        texts += [("run stdout", run.stdout), ("run stderr (JSON logs)", run.stderr)]
        for suffix in ["", "-wal"] {
            if let text = Self.bytes(cli.database + suffix) { raw.append(("database\(suffix) after the run", text)) }
        }
        #expect(raw.contains { $0.0 == "database-wal after the run" }, "the WAL was kept to be searched")
        texts.append(("the database and its WAL after the run, dumped", try Self.dump(cli, cli.database, as: "after-run.sqlite")))
        try holderInput.fileHandleForWriting.close()
        await waitForExit(holder)

        let runID = try await cli.runID()
        let secrets = try cli.secrets("p.csv").map { (kind: $0[4], value: $0[5]) }
        #expect(secrets.filter { $0.kind == "unlock_pin" }.count == 2 && secrets.filter { $0.kind == "temporary_passcode" }.count == 2,
                "the run collected both PINs and both passcodes: \(secrets.map(\.kind))")

        let commands: [[String]] = [
            ["confirm", runID, "--passcodes-out", cli.path("p2.csv")],
            ["confirm", runID, "--passcodes-out", cli.path("p3.csv"), "--log-format", "json"],
            ["report", runID, "--format", "text"], ["report", runID, "--format", "json"],
            ["report", runID, "--format", "html", "--output", cli.path("report.html")],
            ["audit", "export", "--format", "csv", "--output", cli.path("audit.csv")],
            ["audit", "export", "--format", "jsonl", "--output", cli.path("audit.jsonl")],
            ["audit", "export", "--format", "jsonl"], ["status"], ["status", runID, "--json"], ["audit", "verify"],
        ]
        for command in commands {
            let result = try await cli.mdm(command, environment: environment)
            #expect(result.status == 0, "\(command): \(result)")
            texts += [("\(command.prefix(3).joined(separator: " ")) stdout", result.stdout),
                      ("\(command.prefix(3).joined(separator: " ")) stderr", result.stderr)]
        }
        await sim.stop()
        #expect(try cli.secrets("p2.csv").isEmpty && cli.secrets("p3.csv").isEmpty, "each secret is written once")
        for file in ["r.json", "r.html", "report.html", "audit.csv", "audit.jsonl"] {
            texts.append((file, try String(contentsOfFile: cli.path(file), encoding: .utf8)))
        }
        for suffix in ["", "-wal"] {
            if let text = Self.bytes(cli.database + suffix) { raw.append(("database\(suffix) at the end", text)) }
        }
        texts.append(("the database at the end, dumped", try Self.dump(cli, cli.database, as: "at-end.sqlite")))

        for (place, text) in texts {
            #expect(!text.contains(Self.canary), "the client secret is in \(place)")
            #expect(Self.tokenShaped(text).isEmpty, "something shaped like an access token is in \(place): \(Self.tokenShaped(text))")
            for secret in secrets {
                #expect(!Self.containsNumber(text, secret.value), "a \(secret.kind) is in \(place)")
            }
        }
        // in the raw pages fields touch, so only what cannot occur by chance is searched for there:
        // the client secret and the 8-digit passcodes (a 6-digit PIN could, among hex hashes)
        for (place, text) in raw {
            #expect(!text.contains(Self.canary), "the client secret is in \(place)")
            for secret in secrets where secret.kind == "temporary_passcode" {
                #expect(!text.contains(secret.value), "a temporary passcode is in \(place)")
            }
        }
        // the canary is sound: it finds what it looks for
        let sample = try String(contentsOfFile: cli.path("p.csv"), encoding: .utf8)
        #expect(secrets.allSatisfy { Self.containsNumber(sample, $0.value) })
        #expect(Self.tokenShaped("Bearer " + String(repeating: "aB3-", count: 16) + "\n").count == 1)
    }
}
