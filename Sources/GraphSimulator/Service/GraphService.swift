import Foundation
import Hummingbird
import MDMBatchShared

/// The simulated service, apart from HTTP: sign-in, permissions, throttling, the tenants,
/// their fleets and what their devices received. Each entry point answers with a body or
/// throws the `ServiceFailure` the real service would answer with.
public final class GraphService: Sendable {
    public let configuration: SimConfiguration
    /// The fleet of the first tenant.
    public let fleet: Fleet
    let directory: TenantDirectory
    let issuer: TokenIssuer
    let throttle: Throttle?
    let journal: Journal?
    let dice: SeededDice
    let clock: any SimClock
    /// `clock.uptime()` when the service was made: `--refuse-sign-in` counts from it.
    let started: Double
    /// Whether journal lines name their tenant.
    let journalsTenant: Bool

    /// One tenant, `configuration.tenant`, holding `fleet`.
    public convenience init(configuration: SimConfiguration, fleet: Fleet, journal: Journal?,
                            clock: any SimClock = SystemClock()) {
        self.init(configuration: configuration, tenants: [ServedTenant(id: configuration.tenant, fleet: fleet)],
                  journal: journal, clock: clock)
    }

    /// `tenants`: at least one, ids distinct (case-insensitively).
    public init(configuration: SimConfiguration, tenants: [ServedTenant], journal: Journal?,
                clock: any SimClock = SystemClock()) {
        precondition(!tenants.isEmpty, "a service of no tenant")
        self.configuration = configuration
        fleet = tenants[0].fleet
        self.journal = journal
        self.clock = clock
        started = clock.uptime()
        journalsTenant = configuration.journalTenant || tenants.count > 1
        dice = SeededDice(seed: configuration.seed)
        directory = TenantDirectory(tenants, configuration: configuration, dice: dice)
        issuer = TokenIssuer(configuration: configuration, tenants: tenants.map(\.id))
        throttle = configuration.throttle.map { limits in
            Throttle(limits: limits, tenants: tenants.map { ($0.id, configuration.seed(forTenant: $0.id)) },
                     foreignLoad: configuration.foreignLoad, start: clock.uptime())
        }
    }

    /// The tenant's id as the journal writes it: nil for a service of one tenant given the
    /// old way, whose lines stay as they were.
    func journalled(_ tenant: String?) -> String? {
        journalsTenant ? tenant : nil
    }

    /// A new request's ids, received now.
    func trace(clientRequestID: String?) -> RequestTrace {
        RequestTrace(clientRequestID: clientRequestID, received: clock.now())
    }

    // MARK: Sign-in

    /// `POST /{tenant}/oauth2/v2.0/token`: the token response's JSON, the app and the tenant.
    public func issueToken(tenant: String, form: FormFields, origin: String, trace: RequestTrace) throws(ServiceFailure)
        -> (json: String, app: String, tenant: String) {
        let elapsed = clock.uptime() - started
        let refused = configuration.signInRefusals.contains { $0.covers(tenant: tenant, elapsed: elapsed) }
        return try issuer.issue(tenant: tenant, fields: form, origin: origin, trace: trace,
                                now: trace.received.timeIntervalSince1970, signInRefused: refused)
    }

    /// The app calling and its token's tenant, once its token is valid.
    func identify(_ authorization: String?, trace: RequestTrace) throws(ServiceFailure) -> Caller {
        switch issuer.app(authorization: authorization, now: clock.now().timeIntervalSince1970) {
        case .app(let id, let tenant):
            guard let served = directory.tenant(tenant) else {
                throw unauthenticated("Access token validation failure. Invalid token.", trace)  // never issued
            }
            return Caller(app: id, tenant: served)
        case .missing: throw unauthenticated("Access token is empty.", trace)
        case .unknown: throw unauthenticated("Access token validation failure. Invalid token.", trace)
        case .expired: throw unauthenticated("Lifetime validation failed, the token is expired.", trace)
        }
    }

    /// Lets `caller` through once the throttle and `permission` (in its tenant) do.
    func admit(_ caller: Caller, permission: GraphPermission, write: Bool, trace: RequestTrace) throws(ServiceFailure) {
        if let throttle, let refusal = throttle.admit(app: caller.app, tenant: caller.tenant.id, write: write,
                                                      now: clock.uptime()) {
            throw tooManyRequests(caller, write: write, refusal: refusal, trace: trace)
        }
        guard !configuration.denies(permission, tenant: caller.tenant.id) else {
            throw ServiceFailure.graph(.forbidden, code: "Forbidden",
                                       message: "Application is not authorized to perform this operation. Application "
                                           + "must have one of the following scopes: \(permission.rawValue)",
                                       trace: trace).by(caller)
        }
    }

    /// The caller, once its token, the throttle and `permission` let it through.
    func authorize(_ authorization: String?, permission: GraphPermission, write: Bool, trace: RequestTrace)
        throws(ServiceFailure) -> Caller {
        let caller = try identify(authorization, trace: trace)
        try admit(caller, permission: permission, write: write, trace: trace)
        return caller
    }

    private func unauthenticated(_ message: String, _ trace: RequestTrace) -> ServiceFailure {
        .graph(.unauthorized, code: "InvalidAuthenticationToken", message: message, trace: trace,
               headers: [("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
                   + "common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"")])
    }

    /// A 429. One that other apps' load caused says nothing of when to come back.
    private func tooManyRequests(_ caller: Caller, write: Bool, refusal: Refusal, trace: RequestTrace) -> ServiceFailure {
        var headers: [(String, String)] = []
        if !refusal.shared, let value = retryAfter(refusal.wait) { headers.append(("Retry-After", value)) }
        return ServiceFailure.graph(.tooManyRequests, code: "TooManyRequests",
                                    message: "Too many requests from Identifier:\(caller.tenant.id)+\(caller.app) under "
                                        + "category:\(write ? "IntuneWrites" : "IntuneRequests"). Please try again later.",
                                    trace: trace, headers: headers).by(caller)
    }

    /// The Retry-After of a throttled answer: whole seconds, fractional seconds, an HTTP
    /// date, or none, as `--retry-after-form` says (seeded when `mixed`).
    func retryAfter(_ wait: Double) -> String? {
        var form = configuration.retryAfterForm
        if form == .mixed { form = dice.pick([.whole, .fractional, .date, .absent]) }
        let wait = max(wait, 0.001)
        switch form {
        case .whole: return String(Int(wait.rounded(.up)))
        case .fractional:
            // three decimals, never a whole number, so that it reads as fractional
            let millis = max(Int((wait * 1000).rounded(.up)), 1)
            let text = "\(millis / 1000).\(String(format: "%03d", millis % 1000))"
            return millis % 1000 == 0 ? "\(millis / 1000).001" : text
        case .date: return GraphTime.httpDate(clock.now().addingTimeInterval(wait.rounded(.up)))
        case .absent, .mixed: return nil
        }
    }

    // MARK: Actions

    /// `POST …/managedDevices/{id}/remoteLock` or `/resetPasscode`. Returns the app and
    /// the fault to play after the effect (`slow`, `drop`), if any; a 500, 502 or 504 fault
    /// is thrown after the effect.
    /// A device id found only in other tenants is not found, as Graph answers (the id does
    /// not exist in the token's tenant); the failure names those tenants for the journal.
    func act(_ action: DeviceAction, deviceID: String, authorization: String?, url: String, trace: RequestTrace)
        throws(ServiceFailure) -> (caller: Caller, fault: InjectedFault?) {
        let caller = try identify(authorization, trace: trace)
        let tenant = caller.tenant
        let others = directory.crossing(deviceID, from: tenant)
        do throws(ServiceFailure) {
            try admit(caller, permission: .privilegedOperations, write: true, trace: trace)
            var fault: WriteFault? = nil
            if dice.chance(configuration.faultRate), !configuration.faults.isEmpty {
                fault = dice.pick(configuration.faults)
                if fault == .unavailable { throw unavailable(trace) }
            }
            guard let index = tenant.fleet.index(of: deviceID) else { throw notFound(deviceID, url: url, trace: trace) }
            switch tenant.book.receive(action, device: tenant.fleet.devices[index], index: index, now: trace.received) {
            case .refused(let reason):
                throw ServiceFailure.intune(.badRequest, code: "BadRequest",
                                            reason: configuration.reasonless400 ? nil : reason, url: url, trace: trace)
            case .accepted(let count, let failsOnDevice):
                journal?.effect(deviceID: deviceID, tenant: journalled(tenant.id), action: action, count: count,
                                failsOnDevice: failsOnDevice, time: clock.now(), trace: trace)
            }
            guard let fault else { return (caller, nil) }
            switch fault {
            case .slow: return (caller, .slow)
            case .drop: return (caller, .drop)
            case .internalServerError, .badGateway, .gatewayTimeout: throw afterEffect(fault, url: url, trace: trace)
            case .unavailable: return (caller, nil)  // answered above, before the effect
            }
        } catch {
            throw error.by(caller, crossing: others)
        }
    }

    /// A 500, 502 or 504 answered although the action took effect: Intune's own failure
    /// (`InternalError`, its nested message without a reason), or the gateway's in front of
    /// it (`UnknownError` with an empty message, as Graph's 504s are reported).
    private func afterEffect(_ fault: WriteFault, url: String, trace: RequestTrace) -> ServiceFailure {
        var failure: ServiceFailure
        switch fault {
        case .badGateway:
            failure = .graph(.badGateway, code: "UnknownError", message: "", trace: trace)
            failure.fault = .badGateway
        case .gatewayTimeout:
            failure = .graph(.gatewayTimeout, code: "UnknownError", message: "", trace: trace)
            failure.fault = .gatewayTimeout
        default:
            failure = .intune(.internalServerError, code: "InternalError", reason: nil, url: url, trace: trace,
                              summary: "An internal server error has occurred")
            failure.fault = .internalServerError
        }
        return failure
    }

    func notFound(_ deviceID: String, url: String, trace: RequestTrace) -> ServiceFailure {
        .intune(.notFound, code: "ResourceNotFound", reason: "The managed device '\(deviceID)' was not found", url: url,
                trace: trace)
    }

    /// A 503 as Graph gives it when a backend is down, sometimes with a Retry-After.
    func unavailable(_ trace: RequestTrace) -> ServiceFailure {
        var headers: [(String, String)] = []
        if dice.chance(0.5) { headers.append(("Retry-After", String(1 + Int(dice.unit() * 3)))) }
        var failure = ServiceFailure.graph(.serviceUnavailable, code: "ServiceUnavailable",
                                           message: "The service is temporarily unavailable. Please try again later.",
                                           trace: trace, headers: headers)
        failure.fault = .unavailable
        return failure
    }

    /// A read fault (`--read-fault-rate`): 503.
    func readFault(trace: RequestTrace) throws(ServiceFailure) {
        if dice.chance(configuration.readFaultRate) { throw unavailable(trace) }
    }

    /// The answer's extra time: between half and one and a half of `--latency-ms`.
    func latency() -> Duration? {
        configuration.latencyMS > 0 ? .microseconds(Int64(dice.around(Double(configuration.latencyMS)) * 1000)) : nil
    }
}
