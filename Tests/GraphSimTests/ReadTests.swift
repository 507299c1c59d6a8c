import Foundation
import Testing

/// The routes in this process (`withRoutes`).
@Suite("Reads: managedDevices, one device, users")
struct ReadTests {
    @Test("2 500 devices come in three pages of 1 000, 1 000 and 500, following @odata.nextLink, with $select")
    func paging() async throws {
        try await withRoutes(fleetSize: 2500) { sim in
            let token = try await sim.token()
            var next: String? = "/v1.0/deviceManagement/managedDevices?$select=id,deviceName,operatingSystem"
            var sizes: [Int] = []
            var ids = Set<String>()
            while let link = next {
                let page = try await sim.get(link, token: token)
                #expect(page.status == 200)
                #expect((page.json["@odata.context"] as? String)?.hasSuffix(
                    "/v1.0/$metadata#deviceManagement/managedDevices(id,deviceName,operatingSystem)") == true)
                let value = try #require(page.json["value"] as? [[String: Any]])
                sizes.append(value.count)
                for device in value {
                    #expect(Set(device.keys) == ["id", "deviceName", "operatingSystem"])
                    ids.insert(device["id"] as? String ?? "")
                }
                next = page.json["@odata.nextLink"] as? String
                if let next {
                    #expect(next.hasPrefix(sim.url + "/v1.0/deviceManagement/managedDevices?"))
                    #expect(next.contains("$skiptoken="))
                    #expect(next.contains("$select=id,deviceName,operatingSystem"))
                }
            }
            #expect(sizes == [1000, 1000, 500])
            #expect(ids.count == 2500)
        }
    }

    @Test("$top makes smaller pages (users: at most 999)")
    func top() async throws {
        try await withRoutes(fleetSize: 30) { sim in
            let token = try await sim.token()
            let page = try await sim.get("/v1.0/deviceManagement/managedDevices?$top=7", token: token)
            #expect((page.json["value"] as? [Any])?.count == 7)
            #expect((page.json["@odata.nextLink"] as? String)?.contains("$top=7") == true)
            #expect(try await sim.get("/v1.0/users?$top=1000", token: token).status == 400)
            #expect(try await sim.get("/v1.0/users?$top=0", token: token).status == 400)
            let users = try await sim.get("/v1.0/users?$top=999", token: token)
            #expect((users.json["value"] as? [Any])?.count == 15)
            #expect(users.json["@odata.nextLink"] == nil)
        }
    }

    @Test("a device as managedDevice: Graph's names, agents and enrollment types")
    func deviceShape() async throws {
        try await withRoutes { sim in
            let token = try await sim.token()
            let page = try await sim.get("/v1.0/deviceManagement/managedDevices", token: token)
            let devices = try #require(page.json["value"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: devices.map { ($0["id"] as? String ?? "", $0) })
            #expect(byID.count == 17)
            let ios = try #require(byID["ios-1"])
            #expect(ios["deviceName"] as? String == "Jane's iPhone")
            #expect(ios["operatingSystem"] as? String == "iOS")
            #expect(ios["osVersion"] as? String == "17.2")
            #expect(ios["managementAgent"] as? String == "mdm")
            #expect(ios["userPrincipalName"] as? String == "jdoe@contoso.com")
            #expect(ios["serialNumber"] as? String == "F2LXK0AAHG7F")
            #expect(ios["imei"] as? String == "356938035643809")
            #expect(ios["lastSyncDateTime"] as? String == "2026-11-24T08:15:00Z")
            #expect(ios["deviceActionResults"] as? [Any] != nil)
            #expect(ios["enrolledByUserPrincipalName"] == nil)
            #expect(byID["ios-2"]?["managementAgent"] as? String == "easMdm")
            #expect(byID["jamf-1"]?["managementAgent"] as? String == "jamf")
            #expect(byID["and-aosp"]?["managementAgent"] as? String == "intuneAosp")
            #expect(byID["and-ded"]?["deviceEnrollmentType"] as? String == "androidEnterpriseDedicatedDevice")
            #expect(byID["and-fm"]?["deviceEnrollmentType"] as? String == "androidEnterpriseFullyManaged")
            #expect(byID["and-cwp"]?["deviceEnrollmentType"] as? String == "androidEnterpriseCorporateWorkProfile")
            #expect(byID["and-pwp"]?["deviceEnrollmentType"] as? String == "userEnrollment")
            #expect(byID["chr-1"]?["deviceEnrollmentType"] as? String == "unknown")
        }
    }

    @Test("enrolledByUserPrincipalName exists under /beta only")
    func betaField() async throws {
        try await withRoutes { sim in
            let token = try await sim.token()
            let beta = try await sim.get("/beta/deviceManagement/managedDevices?$select=id,enrolledByUserPrincipalName",
                                         token: token)
            #expect(beta.status == 200)
            let ipad = (beta.json["value"] as? [[String: Any]])?.first { $0["id"] as? String == "ios-2" }
            #expect(ipad?["enrolledByUserPrincipalName"] as? String == "helpdesk@contoso.com")
            #expect((beta.json["@odata.context"] as? String)?.contains("/beta/$metadata#") == true)
            let full = try await sim.get("/beta/deviceManagement/managedDevices/ios-2", token: token)
            #expect(full.json["enrolledByUserPrincipalName"] as? String == "helpdesk@contoso.com")

            let v1 = try await sim.get("/v1.0/deviceManagement/managedDevices?$select=id,enrolledByUserPrincipalName",
                                       token: token)
            #expect(v1.status == 400)
            #expect(v1.errorMessage?.contains("enrolledByUserPrincipalName") == true)
            let v1Full = try await sim.get("/v1.0/deviceManagement/managedDevices/ios-2", token: token)
            #expect(v1Full.status == 200)
            #expect(v1Full.json["enrolledByUserPrincipalName"] == nil)
        }
    }

    @Test("users: Graph's default properties, $select for department, paging")
    func users() async throws {
        try await withRoutes(users: TestFleet.users) { sim in
            let token = try await sim.token()
            let all = try await sim.get("/v1.0/users", token: token)
            let users = try #require(all.json["value"] as? [[String: Any]])
            #expect(users.count == 5)
            #expect(users[0]["userPrincipalName"] as? String == "asmith@contoso.com")
            #expect(users[0]["displayName"] as? String == "Adam Smith")
            #expect(users[0]["mail"] as? String == "adam.smith@contoso.com")
            #expect((users[0]["id"] as? String)?.count == 36)
            #expect(users[0]["department"] == nil)
            var next: String? = "/v1.0/users?$select=id,userPrincipalName,department&$top=2"
            var seen: [String] = []
            while let link = next {
                let page = try await sim.get(link, token: token)
                for user in page.json["value"] as? [[String: Any]] ?? [] {
                    #expect(user["department"] is String)
                    seen.append(user["userPrincipalName"] as? String ?? "")
                }
                next = page.json["@odata.nextLink"] as? String
            }
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)
        }
    }

    @Test("--malformed-page answers that page with broken JSON, the others whole")
    func malformedPage() async throws {
        try await withRoutes({ $0.malformedPage = 2 }, fleetSize: 2500) { sim in
            let token = try await sim.token()
            let first = try await sim.get("/v1.0/deviceManagement/managedDevices", token: token)
            #expect((first.json["value"] as? [Any])?.count == 1000)
            let link = try #require(first.json["@odata.nextLink"] as? String)
            let second = try await sim.get(link, token: token)
            #expect(second.status == 200)
            #expect((try? JSONSerialization.jsonObject(with: Data(second.body.utf8))) == nil)
            #expect(second.body.hasPrefix("{\"@odata.context\""))
            #expect(try sim.journalEntries().contains { $0["fault"] as? String == "malformed" })
        }
    }

    @Test("--read-fault-rate 1 answers every read 503")
    func readFaults() async throws {
        try await withRoutes({ $0.readFaultRate = 1 }) { sim in
            let token = try await sim.token()
            for path in ["/v1.0/deviceManagement/managedDevices", "/v1.0/deviceManagement/managedDevices/ios-1", "/v1.0/users"] {
                let answer = try await sim.get(path, token: token)
                #expect(answer.status == 503)
                #expect(answer.errorCode == "ServiceUnavailable")
            }
        }
    }

    @Test("whatever comes in, the answer is JSON and the simulator stays up")
    func malformedRequests() async throws {
        try await withRoutes { sim in
            let token = try await sim.token()
            let unknown = try await sim.get("/v1.0/nothing/here", token: token)
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "NotFound")
            #expect(try await sim.get("/", token: nil).status == 404)
            let garbledForm = try await sim.send(.post, sim.tokenURL, body: "%%%&&==&grant_type")
            #expect(garbledForm.status == 400)
            #expect(garbledForm.json["error"] as? String == "invalid_request")
            let binary = try await sim.send(.post, sim.tokenURL, body: String(decoding: [0xFF, 0x00, 0xFE, 0x3D], as: UTF8.self))
            #expect(binary.status == 400)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices?$skiptoken=garbage", token: token).status == 400)
            let far = AssertionBuilder.base64URL(Data("graph-sim:9223372036854775807".utf8))
            let beyond = try await sim.get("/v1.0/deviceManagement/managedDevices?$skiptoken=\(far)", token: token)
            #expect(beyond.status == 200)
            #expect((beyond.json["value"] as? [Any])?.isEmpty == true)
            #expect(try await sim.get("/v1.0/users?$skiptoken=\(far)", token: token).status == 200)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices?$select=nope", token: token).status == 400)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices?$filter=x", token: token).status == 400)
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices/nope", token: token).status == 404)
            let notFound = try await sim.get("/v1.0/deviceManagement/managedDevices/nope", token: token)
            #expect(notFound.errorCode == "ResourceNotFound")
            #expect(try await sim.get("/v1.0/deviceManagement/managedDevices", token: token).status == 200)
        }
    }
}
