import Foundation
import Testing
@testable import MDMBatchKit

/// The secrets file's side of "Secrets exactly once": what a claim names, and how a claimed
/// file is read back.
@Suite("Secret claims")
struct SecretClaimTests {
    static func notice(_ device: String, line: Int, request: String? = "r-1", value: String = "481516") -> SecretNotice {
        SecretNotice(deviceID: device, requestID: request, line: line, action: .resetPasscode,
                     secret: ServiceSecret(kind: .temporaryPasscode, value: value))
    }

    static func holds(_ file: ClaimedSecretsFile, _ notice: SecretNotice) -> Bool {
        file.holds(deviceID: notice.deviceID, requestID: notice.requestID, line: notice.line, action: notice.action,
                   kind: notice.secret.kind)
    }

    @Test("the file is made with its header when the first claim is asked for; the claim names its absolute path and inode")
    func claimMakesTheFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        let path = folder.appendingPathComponent("p.csv").path
        let file = try SecretsFile(path: path)
        #expect(!FileManager.default.fileExists(atPath: path), "nothing before the first secret")
        let claim = try #require(try file.claimTarget())
        var info = stat()
        #expect(stat(path, &info) == 0 && UInt64(info.st_ino) == claim.inode)
        #expect(claim.path.hasPrefix("/") && claim.path.hasSuffix("/p.csv"))
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try file.claimTarget() == claim, "one file per invocation")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "device_id,request_id,line,action,kind,secret\n")
    }

    @Test("a claimed file read back finds a whole line, not a line cut short, another element's or one without a request id")
    func readBack() throws {
        let folder = try TestSupport.temporaryDirectory()
        let path = folder.appendingPathComponent("p.csv").path
        let file = try SecretsFile(path: path)
        let claim = try #require(try file.claimTarget())
        let written = Self.notice("d-1", line: 2)
        let quoted = Self.notice("d,2", line: 3, request: nil)
        try file.write([written, quoted])
        let read = ClaimedSecretsFile(claim)
        #expect(Self.holds(read, written))
        #expect(Self.holds(read, quoted), "a device id with a comma is quoted in the file and found")
        #expect(!Self.holds(read, Self.notice("d-1", line: 4)), "another line of the batch")
        #expect(!Self.holds(read, Self.notice("d-1", line: 2, request: "r-2")), "another request")
        #expect(!Self.holds(read, Self.notice("d-", line: 2)), "a prefix of the device id")
        // a write cut short by the kill: the secret's field without its line end
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("d-9,r-1,9,reset_passcode,temporary_passcode,12".utf8))
        try handle.close()
        #expect(!Self.holds(ClaimedSecretsFile(claim), Self.notice("d-9", line: 9)), "a line without its end is not delivered")
    }

    @Test("another file at the claimed path, a symbolic link or no file: nothing of ours is there")
    func notOurs() throws {
        let folder = try TestSupport.temporaryDirectory()
        let path = folder.appendingPathComponent("p.csv").path
        let file = try SecretsFile(path: path)
        let claim = try #require(try file.claimTarget())
        let written = Self.notice("d-1", line: 2)
        try file.write([written])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        #expect(!Self.holds(ClaimedSecretsFile(claim), written), "no file")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path + ".moved")
        #expect(!Self.holds(ClaimedSecretsFile(claim), written), "a link to it is not followed")
        try FileManager.default.removeItem(atPath: path)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(!Self.holds(ClaimedSecretsFile(claim), written), "the same bytes in another file (another inode)")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: path + ".moved", toPath: path)
        #expect(Self.holds(ClaimedSecretsFile(claim), written), "the claimed file itself, back in its place")
    }
}
