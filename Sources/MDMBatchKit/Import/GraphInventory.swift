import Foundation

/// `import devices|users --from-graph`: the tenant's inventory read straight from Graph,
/// page after page (`$select`, `@odata.nextLink` followed whole, paced by the session),
/// then upserted all or nothing exactly as a file would be. The pages are spooled to a
/// temporary file (0600, removed after), one object a line, so that memory stays flat and
/// a bad object is named by the page it came from.
public enum GraphInventory {
    /// The fields asked for (`$select`).
    public static let deviceFields = ["id", "deviceName", "serialNumber", "imei", "operatingSystem", "osVersion", "managementAgent",
                                      "userPrincipalName", "lastSyncDateTime", "deviceEnrollmentType"]
    /// Read from the beta endpoint only.
    public static let betaDeviceFields = ["enrolledByUserPrincipalName"]
    public static let userFields = ["id", "userPrincipalName", "displayName", "mail", "department"]

    /// Reads the inventory of `kind` from `session` and imports it into `database`. With
    /// `beta`, devices come from the beta endpoint, with `enrolledByUserPrincipalName` and
    /// the Android values of `deviceEnrollmentType` (v1.0 documents none); without, the
    /// stored `enrolled_by_upn` is left as it is.
    public static func importInventory(_ kind: InventoryKind, session: GraphSession, beta: Bool, database: AppDatabase,
                                       actor: String, limits: InputLimits = .standard,
                                       policy: PageReadPolicy = PageReadPolicy(), random: SharedRandom,
                                       now: @escaping @Sendable () -> Date = { Date() }) async throws -> ImportSummary {
        let pager: GraphPager
        switch kind {
        case .devices:
            pager = try GraphPager(session: session, path: "/deviceManagement/managedDevices",
                                   select: deviceFields + (beta ? betaDeviceFields : []), top: 1000, api: beta ? .beta : .v1,
                                   policy: policy, random: random)
        case .users:
            pager = try GraphPager(session: session, path: "/users", select: userFields, top: 999, policy: policy, random: random)
        }
        let folder = database.path.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? FileManager.default.temporaryDirectory
        let spool = folder.appendingPathComponent(".mdmbatch-graph-\(kind.rawValue)-\(getpid()).jsonl")
        unlink(spool.path)
        let fd = try ExclusiveFile.create(spool.path)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { unlink(spool.path) }
        // which page each line of the spool came from, to name a bad object by its page
        var pages: [(firstLine: Int, url: String)] = []
        var lines = 0
        for try await page in pager {
            pages.append((lines + 1, page.url))
            var out: [UInt8] = []
            var scanner = JSONScanner(bytes: page.body, file: page.url)
            try scanner.enterRecordArray()
            while let element = try scanner.nextArrayElement() {
                // one object a line: compact, so that a line number names the object
                let object = try JSONDecoder().decode(JSONValue.self, from: Data(element.bytes))
                out.append(contentsOf: object.canonicalText.utf8)
                out.append(0x0A)
                lines += 1
            }
            do { try handle.write(contentsOf: out) } catch { throw OutputFileError.cannotCreate(spool.path, error.localizedDescription) }
        }
        try handle.synchronize()
        var request = ImportRequest(kind: kind, path: spool.path, format: kind == .devices ? .graphJSON : .jsonl, actor: actor,
                                    limits: limits)
        request.displayName = pager.firstURL
        request.graphLines = kind == .devices
        request.absentFields = kind == .devices && !beta ? ["enrolled_by_upn"] : []
        do {
            return try InventoryImporter.run(request, into: database, now: now)
        } catch ImportError.malformed(let location, let message) {
            let page = pages.last { $0.firstLine <= location.line } ?? (1, pager.firstURL)
            throw ImportError.malformed(SourceLocation(file: page.url, line: location.line - page.firstLine + 1, column: 1),
                                        "object \(location.line - page.firstLine + 1) of the page: \(message)")
        }
    }
}
