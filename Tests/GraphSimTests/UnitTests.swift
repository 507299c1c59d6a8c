import Foundation
import MDMBatchShared
import Testing
@testable import GraphSimulator

@Suite("Pieces of the simulator")
struct UnitTests {
    @Test("a sliding window admits N in any window of its length, no burst beyond")
    func slidingWindow() {
        var window = SlidingWindow(RateLimit(count: 3, seconds: 10))
        for t in [0.0, 1, 2] {
            #expect(window.wait(at: t) == nil)
            window.record(at: t)
        }
        #expect(window.wait(at: 5) == 5)
        #expect(window.wait(at: 9.5) == 0.5)
        #expect(window.wait(at: 10) == nil)
        window.record(at: 10)
        #expect(window.wait(at: 10.5) == 0.5)
        #expect(window.wait(at: 12) == nil)
    }

    @Test("slack shortens the window: a request arriving a little before the edge still fits")
    func slack() {
        var window = SlidingWindow(RateLimit(count: 2, seconds: 20), slack: 0.25)
        window.record(at: 0.010)
        window.record(at: 5)
        #expect(window.wait(at: 19.9) == nil)
        window.record(at: 19.9)
        #expect(window.wait(at: 20) == 4.75)
    }

    @Test("limits read as N/SECONDS")
    func rateLimit() {
        #expect(RateLimit("200/20") == RateLimit(count: 200, seconds: 20))
        #expect(RateLimit("5/2s") == RateLimit(count: 5, seconds: 2))
        #expect(RateLimit("5") == nil)
        #expect(RateLimit("0/20") == nil)
    }

    @Test("Retry-After in each form")
    func retryAfter() {
        func service(_ form: RetryAfterForm) -> GraphService {
            var configuration = SimConfiguration()
            configuration.retryAfterForm = form
            return GraphService(configuration: configuration, fleet: Fleet(devices: [], users: []), journal: nil)
        }
        #expect(service(.whole).retryAfter(2.128) == "3")
        #expect(service(.fractional).retryAfter(2.128) == "2.128")
        #expect(service(.fractional).retryAfter(3) == "3.001")
        #expect(service(.absent).retryAfter(2) == nil)
        #expect(service(.date).retryAfter(2)?.hasSuffix(" GMT") == true)
        let mixed = service(.mixed)
        let forms = Set((0..<200).map { _ in mixed.retryAfter(1.5).map { $0.contains("GMT") ? "date" : $0.contains(".") ? "fractional" : "whole" } ?? "absent" })
        #expect(forms == ["whole", "fractional", "date", "absent"])
    }

    @Test("HTTP dates and Graph times")
    func times() {
        let date = Date(timeIntervalSince1970: 1_795_680_030.25)
        #expect(GraphTime.httpDate(date) == "Thu, 26 Nov 2026 08:00:31 GMT")
        #expect(GraphTime.string(date) == "2026-11-26T08:00:30.2500000Z")
    }

    @Test("Intune's platform table", arguments: [
        ("iOS", nil, nil, "ok", "ok"), ("iPadOS", nil, nil, "ok", "ok"), ("macOS", nil, nil, "ok", "no"),
        ("Windows", nil, nil, "no", "no"), ("Windows 10 Mobile", nil, nil, "no", "no"), ("Desktop", nil, nil, "no", "no"),
        ("Linux", nil, nil, "no", "no"), ("ChromeOS", nil, nil, "no", "no"), ("visionOS", "2.0", nil, "ok", "no"),
        ("visionOS", "1.1", nil, "no", "no"), ("Android", nil, "dedicated", "ok", "ok"),
        ("Android", nil, "fully_managed", "ok", "ok"), ("Android", nil, "corporate_work_profile", "ok", "ok"),
        ("Android", nil, "personal_work_profile", "no", "ok"), ("Android", nil, "aosp", "ok", "ok"),
        ("AOSP", nil, nil, "ok", "ok"), ("Android", nil, "device_admin", "no", "no"), ("Android", nil, nil, "ok", "ok"),
        ("Tizen", nil, nil, "no", "no"),
    ] as [(String, String?, String?, String, String)])
    func platforms(_ os: String, _ version: String?, _ enrollment: String?, _ lock: String, _ reset: String) {
        let device = SimDevice(id: "d", deviceName: nil, osRaw: os, osVersion: version, management: .mdm, managementRaw: nil,
                               enrollment: enrollment.flatMap { Enrollment(rawValue: $0) }, primaryUserUPN: nil,
                               enrolledByUPN: nil, serialNumber: nil, imei: nil, lastCheckIn: nil)
        #expect((IntuneSupport.refusal(of: .remoteLock, on: device) == nil ? "ok" : "no") == lock)
        #expect((IntuneSupport.refusal(of: .resetPasscode, on: device) == nil ? "ok" : "no") == reset)
    }

    @Test("base64url round trip")
    func base64url() {
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(($0 * 37 + count) & 0xFF) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.decode("a.b") == nil)
    }

    @Test("the certificate's thumbprint is the SHA-256 of its DER, as the test client computes it")
    func thumbprint() throws {
        let url = SimProcess.fixtures.appendingPathComponent("graph-test-app.cert.pem")
        let certificate = try RegisteredCertificate(pem: String(contentsOf: url, encoding: .utf8))
        #expect(certificate.thumbprintS256 == (try AssertionBuilder.fixture("graph-test-app.pem").thumbprint))
        #expect(throws: CertificateError.self) { try RegisteredCertificate(pem: "nothing") }
    }

    @Test("a synthetic fleet: the size asked, unique sorted ids, every enrollment, the same for the same seed")
    func synthetic() {
        let fleet = Fleet.synthetic(count: 2_000, seed: 7)
        #expect(fleet.devices.count == 2_000)
        #expect(Set(fleet.devices.map(\.id)).count == 2_000)
        #expect(fleet.devices.map(\.id) == fleet.devices.map(\.id).sorted())
        #expect(Set(fleet.devices.map(\.deviceEnrollmentType)).isSuperset(of: [
            "androidEnterpriseDedicatedDevice", "androidEnterpriseFullyManaged", "androidEnterpriseCorporateWorkProfile",
            "userEnrollment"]))
        #expect(Set(fleet.devices.map(\.operatingSystem)) == ["iOS", "iPadOS", "macOS", "Windows", "Android"])
        #expect(fleet.devices.contains { $0.managementAgent == "intuneAosp" })
        #expect(Fleet.synthetic(count: 50, seed: 7).devices.map(\.id) == Fleet.synthetic(count: 50, seed: 7).devices.map(\.id))
    }
}
