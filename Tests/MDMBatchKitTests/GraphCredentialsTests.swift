import Foundation
import Testing
@testable import MDMBatchKit

@Suite("Graph credentials")
struct GraphCredentialsTests {
    typealias F = GraphFixtures

    private func expectNoSecret(_ error: any Error, _ secrets: [String] = [F.secret]) {
        for text in [error.localizedDescription, "\(error)", String(reflecting: error)] {
            for secret in secrets { #expect(!text.contains(secret), "\(text)") }
            #expect(!text.contains("PRIVATE KEY"))
        }
    }

    @Test("from the environment with a client secret")
    func environmentSecret() throws {
        let credentials = try GraphCredentials.load(environment: [
            "MDMBATCH_TENANT_ID": F.tenant, "MDMBATCH_CLIENT_ID": F.client, "MDMBATCH_CLIENT_SECRET": F.secret, "HOME": "/root",
        ], file: nil)
        #expect(credentials.tenantID == F.tenant && credentials.clientID == F.client)
        guard case .clientSecret(let secret) = credentials.proof else { Issue.record("not a secret"); return }
        #expect(secret == F.secret)
        for text in ["\(credentials)", String(reflecting: credentials), "\(credentials.proof)"] {
            #expect(!text.contains(F.secret), "\(text)")
        }
        var dumped = ""
        dump(credentials, to: &dumped)
        #expect(!dumped.contains(F.secret))
    }

    @Test("from the environment with a certificate file of mode 0600")
    func environmentCertificate() throws {
        let folder = try F.privateFolder()
        let pem = try F.copy(F.testApp, as: "app.pem", in: folder)
        let credentials = try GraphCredentials.load(environment: [
            "MDMBATCH_TENANT_ID": F.tenant, "MDMBATCH_CLIENT_ID": F.client, "MDMBATCH_CLIENT_CERTIFICATE": pem,
        ], file: nil)
        guard case .certificate(let certificate) = credentials.proof else { Issue.record("not a certificate"); return }
        #expect(certificate.path == pem)
        #expect(!"\(credentials)".contains("PRIVATE"))
        var dumped = ""
        dump(credentials, to: &dumped)
        #expect(!dumped.contains("backing") && !dumped.contains("privateKey"))
    }

    @Test("a certificate file that group or others may read is refused", arguments: [0o640, 0o604, 0o644, 0o660] as [mode_t])
    func certificateModes(mode: mode_t) throws {
        let folder = try F.privateFolder()
        let pem = try F.copy(F.testApp, as: "app.pem", in: folder, mode: mode)
        #expect(throws: GraphConfigurationError.unsafePermissions(path: pem, mode: UInt16(mode))) {
            try GraphCredentials.load(environment: [
                "MDMBATCH_TENANT_ID": F.tenant, "MDMBATCH_CLIENT_ID": F.client, "MDMBATCH_CLIENT_CERTIFICATE": pem,
            ], file: nil)
        }
    }

    @Test("missing values are named", arguments: [
        ([:], ["MDMBATCH_TENANT_ID", "MDMBATCH_CLIENT_ID", "MDMBATCH_CLIENT_SECRET or MDMBATCH_CLIENT_CERTIFICATE"]),
        (["MDMBATCH_TENANT_ID": GraphFixtures.tenant, "MDMBATCH_CLIENT_SECRET": GraphFixtures.secret], ["MDMBATCH_CLIENT_ID"]),
        (["MDMBATCH_TENANT_ID": GraphFixtures.tenant, "MDMBATCH_CLIENT_ID": " "], ["MDMBATCH_CLIENT_ID", "MDMBATCH_CLIENT_SECRET or MDMBATCH_CLIENT_CERTIFICATE"]),
    ] as [([String: String], [String])])
    func missingEnvironment(environment: [String: String], missing: [String]) {
        do {
            _ = try GraphCredentials.load(environment: environment, file: nil)
            Issue.record("accepted")
        } catch let error as GraphConfigurationError {
            #expect(error == .missingCredentials(source: "the environment", missing: missing))
            #expect(error.failureKind == .configuration)
            for name in missing { #expect(error.localizedDescription.contains(name)) }
            expectNoSecret(error)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("a secret and a certificate together are refused, without the secret")
    func both() throws {
        do {
            _ = try GraphCredentials.load(environment: [
                "MDMBATCH_TENANT_ID": F.tenant, "MDMBATCH_CLIENT_ID": F.client, "MDMBATCH_CLIENT_SECRET": F.secret,
                "MDMBATCH_CLIENT_CERTIFICATE": "/nowhere.pem",
            ], file: nil)
            Issue.record("accepted")
        } catch {
            #expect((error as? GraphConfigurationError)?.failureKind == .configuration)
            expectNoSecret(error)
        }
    }

    @Test("a tenant id that is not a GUID or domain is refused")
    func badTenant() {
        #expect(throws: GraphConfigurationError.self) {
            try GraphCredentials.load(environment: [
                "MDMBATCH_TENANT_ID": "../evil", "MDMBATCH_CLIENT_ID": F.client, "MDMBATCH_CLIENT_SECRET": F.secret,
            ], file: nil)
        }
    }

    @Test("a credentials file of mode 0600 or 0400 is read; the environment is then ignored", arguments: [0o600, 0o400] as [mode_t])
    func file(mode: mode_t) throws {
        let folder = try F.privateFolder()
        let path = try F.write(#"{"tenant_id": "\#(F.tenant)", "client_id": "\#(F.client)", "client_secret": "\#(F.secret)"}"#,
                               to: "graph.json", in: folder, mode: mode)
        let credentials = try GraphCredentials.load(environment: ["MDMBATCH_TENANT_ID": "other"], file: path)
        #expect(credentials.tenantID == F.tenant)
        guard case .clientSecret(let secret) = credentials.proof else { Issue.record("not a secret"); return }
        #expect(secret == F.secret)
    }

    @Test("a credentials file with any group or other bit is refused (78)", arguments: [0o640, 0o604, 0o620, 0o601, 0o644] as [mode_t])
    func fileModes(mode: mode_t) throws {
        let folder = try F.privateFolder()
        let path = try F.write(#"{"tenant_id": "\#(F.tenant)", "client_id": "\#(F.client)", "client_secret": "\#(F.secret)"}"#,
                               to: "graph.json", in: folder, mode: mode)
        do {
            _ = try GraphCredentials.load(environment: [:], file: path)
            Issue.record("accepted")
        } catch let error as GraphConfigurationError {
            #expect(error == .unsafePermissions(path: path, mode: UInt16(mode)))
            #expect(error.failureKind == .configuration)
            #expect(error.localizedDescription.contains(path))
            expectNoSecret(error)
        }
    }

    @Test("a certificate path in a credentials file is taken from the file's folder")
    func relativeCertificate() throws {
        let folder = try F.privateFolder()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("keys"), withIntermediateDirectories: true)
        let pem = try F.copy(F.testApp, as: "keys/app.pem", in: folder)
        let path = try F.write(#"{"tenant_id": "\#(F.tenant)", "client_id": "\#(F.client)", "client_certificate": "keys/app.pem"}"#,
                               to: "graph.json", in: folder)
        let credentials = try GraphCredentials.load(environment: [:], file: path)
        guard case .certificate(let certificate) = credentials.proof else { Issue.record("not a certificate"); return }
        #expect(URL(fileURLWithPath: certificate.path).standardized.path == URL(fileURLWithPath: pem).standardized.path)
    }

    @Test("missing keys in a credentials file are named")
    func fileMissing() throws {
        let folder = try F.privateFolder()
        let path = try F.write(#"{"client_id": "\#(F.client)"}"#, to: "graph.json", in: folder)
        #expect(throws: GraphConfigurationError.missingCredentials(source: path, missing: ["tenant_id", "client_secret or client_certificate"])) {
            try GraphCredentials.load(environment: [:], file: path)
        }
    }

    @Test("an unreadable or malformed credentials file is named, its content is not", arguments: [
        "not json \(GraphFixtures.secret)", #"["\#(GraphFixtures.secret)"]"#, #"{"tenant_id": 1, "client_id": "c", "client_secret": "\#(GraphFixtures.secret)"}"#,
        #"{"tenant_id": "t", "client_id": "c", "client_secret": "\#(GraphFixtures.secret)""#,
    ])
    func fileMalformed(text: String) throws {
        let folder = try F.privateFolder()
        let path = try F.write(text, to: "graph.json", in: folder)
        do {
            _ = try GraphCredentials.load(environment: [:], file: path)
            Issue.record("accepted")
        } catch let error as GraphConfigurationError {
            guard case .malformed(let named, _) = error else { Issue.record("\(error)"); return }
            #expect(named == path)
            expectNoSecret(error)
        }
        let missing = folder.appendingPathComponent("absent.json").path
        #expect(throws: GraphConfigurationError.unreadable(path: missing, reason: "No such file or directory")) {
            try GraphCredentials.load(environment: [:], file: missing)
        }
    }

    @Test("a PEM file without a key, with another app's key, or with an encrypted key is refused naming the file")
    func badPEMs() throws {
        let folder = try F.privateFolder()
        let certificateOnly = try F.copy(F.testAppCertificate, as: "cert.pem", in: folder)
        let other = try String(contentsOfFile: F.otherApp, encoding: .utf8)
        let mine = try String(contentsOfFile: F.testAppCertificate, encoding: .utf8)
        let otherKey = String(other[other.range(of: "-----BEGIN PRIVATE KEY-----")!.lowerBound...])
        let mismatched = try F.write(mine + otherKey, to: "mismatch.pem", in: folder)
        let encrypted = try F.write(mine + "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                                    to: "encrypted.pem", in: folder)
        let garbage = try F.write("hello", to: "garbage.pem", in: folder)
        for path in [certificateOnly, mismatched, encrypted, garbage] {
            do {
                _ = try ClientCertificate.load(path: path)
                Issue.record("\(path) accepted")
            } catch let error as GraphConfigurationError {
                guard case .malformed(let named, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(named == path)
                #expect(!reason.contains("MII"))
            }
        }
    }
}

/// Issue 23 item 8: a credentials file someone else could have written or swapped.
@Suite("Graph credentials: issue 23 item 8")
struct GraphCredentialsFileSafetyTests {
    typealias F = GraphFixtures
    static let content = #"{"tenant_id": "\#(F.tenant)", "client_id": "\#(F.client)", "client_secret": "\#(F.secret)"}"#

    private func refusal(_ path: String) -> GraphConfigurationError? {
        do {
            _ = try GraphCredentials.load(environment: [:], file: path)
            return nil
        } catch let error as GraphConfigurationError {
            #expect(error.failureKind == .configuration)
            #expect(!error.localizedDescription.contains(F.secret))
            return error
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test("item 8: a symbolic link to a good credentials file is refused (78), naming the link")
    func symbolicLink() throws {
        let folder = try F.privateFolder()
        let target = try F.write(Self.content, to: "graph.json", in: folder)
        let link = folder.appendingPathComponent("link.json").path
        #expect(symlink(target, link) == 0)
        let error = try #require(refusal(link))
        #expect(error.localizedDescription.contains(link) && error.localizedDescription.contains("symbolic link"),
                "\(error.localizedDescription)")
    }

    @Test("item 8: a credentials file in a folder group or others may write is refused (78)", arguments: [0o770, 0o757, 0o777] as [mode_t])
    func writableFolder(mode: mode_t) throws {
        let folder = try F.privateFolder()
        let path = try F.write(Self.content, to: "graph.json", in: folder)
        chmod(folder.path, mode)
        defer { chmod(folder.path, 0o700) }
        let error = try #require(refusal(path))
        #expect(error.localizedDescription.contains("folder"), "\(error.localizedDescription)")
    }

    @Test("item 8: a credentials file owned by another user is refused (78), even for root")
    func otherOwner() throws {
        guard geteuid() == 0 else {
            // chown to another user needs root
            if ProcessInfo.processInfo.environment["MDMBATCH_REQUIRE_ALL"] == "1" { Issue.record("needs root to chown a file") }
            print("skipped: item 8 other-owner test needs root (chown to nobody)")
            return
        }
        let folder = try F.privateFolder()
        let path = try F.write(Self.content, to: "graph.json", in: folder)
        #expect(chown(path, 65534, 65534) == 0)
        let error = try #require(refusal(path))
        #expect(error.localizedDescription.contains("owned by"), "\(error.localizedDescription)")
    }
}
