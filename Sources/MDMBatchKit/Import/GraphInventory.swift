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

    /// `import --from-graph` whole: checks the Graph settings and credentials (78) before
    /// `openDatabase` is called, signs in (77 when refused), reads the inventory and imports
    /// it, then closes the session.
    /// With `request.tenant`, the database is opened first, to find the registered tenant
    /// whose app, endpoints and pace of reads are used.
    public static func importInventory(_ request: GraphImportRequest, transports: TransportFactory,
                                       openDatabase: () throws -> AppDatabase) async throws -> ImportSummary {
        guard let name = request.tenant, !name.isOperator else {
            let (settings, transports) = try request.checked(for: nil, transports)
            return try await importInventory(request, settings: settings, transports: transports, database: try openDatabase())
        }
        let database = try openDatabase()
        let (settings, tenantTransports) = try request.checked(for: try database.read { try $0.registeredTenant(name) }, transports)
        return try await importInventory(request, settings: settings, transports: tenantTransports, database: database)
    }

    /// `import --from-graph --all-tenants`: each registered tenant's inventory, each all or
    /// nothing on its own, in name order; a tenant that fails leaves the others' imports.
    public static func importAllTenants(_ request: GraphImportRequest, transports: TransportFactory,
                                        database: AppDatabase) async throws -> TenantImports {
        let tenants = try TenantRegistry.list(database)
        guard !tenants.isEmpty else { throw TenantImportError.noTenants }
        var imports = TenantImports()
        for tenant in tenants {
            var asked = request
            asked.tenant = tenant.name
            do {
                let (settings, tenantTransports) = try asked.checked(for: tenant, transports)
                imports.outcomes.append((tenant.name, .success(
                    try await importInventory(asked, settings: settings, transports: tenantTransports, database: database))))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                imports.outcomes.append((tenant.name, .failure(error)))
            }
        }
        return imports
    }

    private static func importInventory(_ request: GraphImportRequest, settings: TransportSettings, transports: TransportFactory,
                                        database: AppDatabase) async throws -> ImportSummary {
        let clock = transports.clock
        let policy = PageReadPolicy(retry: RetryPolicy(maxAttempts: request.maxAttempts),
                                    deadline: request.maxRunTime.map { clock.now() + $0 },
                                    breaker: CircuitBreaker(threshold: 3, clock: clock, logger: transports.logger))
        let session = try await transports.graphSession(settings, betaURL: request.betaURL)
        do {
            let summary = try await importInventory(request.kind, session: session, beta: request.beta, database: database,
                                                    actor: request.actor, limits: request.limits, policy: policy,
                                                    random: SharedRandom(seed: UInt64(getpid())), tenant: request.tenant)
            await session.shutdown()
            return summary
        } catch {
            await session.shutdown()
            throw error
        }
    }

    /// Reads the inventory of `kind` from `session` and imports it into `database`. With
    /// `beta`, devices come from the beta endpoint, with `enrolledByUserPrincipalName` and
    /// the Android values of `deviceEnrollmentType` (v1.0 documents none); without, the
    /// stored `enrolled_by_upn` is left as it is.
    public static func importInventory(_ kind: InventoryKind, session: GraphSession, beta: Bool, database: AppDatabase,
                                       actor: String, limits: InputLimits = .standard,
                                       policy: PageReadPolicy = PageReadPolicy(), random: SharedRandom,
                                       tenant: TenantName? = nil) async throws -> ImportSummary {
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
        let spool = folder.appendingPathComponent(".mdmbatch-graph-\(kind.rawValue)-\(getpid())\(tenant.map { "-" + $0.text } ?? "").jsonl")
        unlink(spool.path)
        let fd = try ExclusiveFile.create(spool.path)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { unlink(spool.path) }
        // which page each line of the spool came from, to name a bad object by its page
        var pages: [(firstLine: Int, url: String)] = []
        var lines = 0
        do {
            for try await page in pager {
                pages.append((lines + 1, page.url))
                var out: [UInt8] = []
                var scanner = JSONScanner(bytes: page.body, file: page.url)
                try scanner.enterRecordArray()
                var number = 0
                while let element = try scanner.nextArrayElement() {
                    number += 1
                    // one object a line: compact, so that a line number names the object
                    let object = try decode(element.bytes, object: number, of: page.url, limits: limits)
                    out.append(contentsOf: object.canonicalText.utf8)
                    out.append(0x0A)
                    lines += 1
                }
                do { try handle.write(contentsOf: out) } catch { throw OutputFileError.cannotCreate(spool.path, error.localizedDescription) }
            }
        } catch GraphPagerError.refused(let url, .permanent(_, let code, let message?, _)) where code == GraphConnectionFailure.tooLargeCode {
            // a page too large to read is a malformed answer (65), not a configuration error
            throw GraphPagerError.malformedPage(url: url, offset: nil, reason: message)
        }
        try handle.synchronize()
        var request = ImportRequest(kind: kind, path: spool.path, format: kind == .devices ? .graphJSON : .jsonl, actor: actor,
                                    limits: limits)
        request.displayName = pager.firstURL
        request.graphLines = kind == .devices
        request.absentFields = kind == .devices && !beta ? ["enrolled_by_upn"] : []
        request.tenant = tenant
        do {
            return try InventoryImporter.run(request, into: database, clock: session.clock)
        } catch ImportError.malformed(let location, let message) {
            let page = pages.last { $0.firstLine <= location.line } ?? (1, pager.firstURL)
            throw ImportError.malformed(SourceLocation(file: page.url, line: location.line - page.firstLine + 1, column: 1),
                                        "object \(location.line - page.firstLine + 1) of the page: \(message)")
        }
    }

    /// One element of a page's `value`, or a malformed-input error (65) naming the page's
    /// URL and the object: too large, invalid UTF-8, a lone surrogate, a number out of range.
    static func decode(_ bytes: [UInt8], object number: Int, of url: String, limits: InputLimits) throws -> JSONValue {
        func refuse(_ reason: String) -> ImportError {
            .malformed(SourceLocation(file: url, line: number, column: 1), "object \(number) of the page: \(reason)")
        }
        if bytes.count > limits.maxRecordBytes {
            throw refuse("larger than \(limits.maxRecordBytes) bytes (--max-record-bytes)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw refuse("invalid UTF-8") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw refuse("not valid JSON (a lone surrogate escape such as \\ud800, or a number out of range?)")
        }
    }
}

/// `import users|devices --from-graph` as asked.
public struct GraphImportRequest: Sendable {
    public var kind: InventoryKind
    /// The Graph flags given (URLs, `--read-rate`, `--graph-read-timeout`); the service is Graph.
    public var transport: TransportRequest
    /// Devices from the beta endpoint (`--graph-beta-fields`): at `betaURL`, else at the
    /// Graph URL with v1.0 replaced by beta.
    public var beta = false
    public var betaURL: String?
    /// Attempts per page that fails (a 5xx, a timeout), the first included.
    public var maxAttempts = 5
    /// Seconds after which no page is asked for again (`--max-run-time`); nil: no limit.
    public var maxRunTime: Double?
    public var limits = InputLimits.standard
    public var actor: String
    /// The registered tenant to read (`--tenant`); nil: the operator's own.
    public var tenant: TenantName?

    public init(kind: InventoryKind, transport: TransportRequest, actor: String) {
        self.kind = kind
        self.transport = transport
        self.actor = actor
    }

    /// The Graph settings asked for (the tenant's pace of reads where it registered one) and
    /// the factory signing in to `tenant` (nil: the operator's own), both checked without
    /// any network: URLs and credentials (78).
    func checked(for tenant: TenantRecord?, _ transports: TransportFactory) throws -> (TransportSettings, TransportFactory) {
        var asked = transport
        asked.kind = .graph
        var settings = asked.settings(databasePath: nil)
        if let readRate = tenant?.readRate { settings.readRate = readRate }
        let signingIn = transports.signingIn(to: tenant)
        try signingIn.check(settings)
        return (settings, signingIn)
    }
}

/// What `import --from-graph --all-tenants` did: each registered tenant's import, or why it failed.
public struct TenantImports: CommandResult {
    public var outcomes: [(tenant: TenantName, result: Result<ImportSummary, any Error>)] = []

    /// The first of 77, 75, 65 that any tenant got, then 1 for any other failure, else 0.
    public var failure: FailureKind? {
        let kinds = outcomes.compactMap { outcome -> FailureKind? in
            if case .failure(let error) = outcome.result { return FailureKind(of: error) }
            return nil
        }
        guard !kinds.isEmpty else { return nil }
        return [FailureKind.noPermission, .temporary, .dataError].first(where: kinds.contains) ?? .completedWithFailures
    }
}

/// `--all-tenants` with nothing to import.
public enum TenantImportError: LocalizedError, ClassifiedError {
    case noTenants

    public var errorDescription: String? {
        "--all-tenants: no tenant is registered (mdmbatch tenant add NAME --tenant-id GUID)"
    }

    public var failureKind: FailureKind { .usage }
}
