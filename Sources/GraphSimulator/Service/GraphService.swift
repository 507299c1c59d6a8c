import Foundation
import Hummingbird
import MDMBatchShared

/// The simulated service, apart from HTTP: sign-in, permissions, throttling, the fleet
/// and what its devices received. Each entry point answers with a body or throws the
/// `ServiceFailure` the real service would answer with.
public final class GraphService: Sendable {
    public let configuration: SimConfiguration
    public let fleet: Fleet
    let book: ActionBook
    let issuer: TokenIssuer
    let throttle: Throttle?
    let journal: Journal?
    let dice: SeededDice
    let clock: any SimClock

    public init(configuration: SimConfiguration, fleet: Fleet, journal: Journal?, clock: any SimClock = SystemClock()) {
        self.configuration = configuration
        self.fleet = fleet
        self.journal = journal
        self.clock = clock
        dice = SeededDice(seed: configuration.seed)
        book = ActionBook(configuration: configuration, dice: dice)
        issuer = TokenIssuer(configuration: configuration)
        throttle = configuration.throttle.map {
            Throttle(limits: $0, foreignLoad: configuration.foreignLoad, seed: configuration.seed, start: clock.uptime())
        }
    }

    /// A new request's ids, received now.
    func trace(clientRequestID: String?) -> RequestTrace {
        RequestTrace(clientRequestID: clientRequestID, received: clock.now())
    }

    // MARK: Sign-in

    public func issueToken(tenant: String, form: FormFields, origin: String, trace: RequestTrace) throws(ServiceFailure)
        -> (json: String, app: String) {
        try issuer.issue(tenant: tenant, fields: form, origin: origin, trace: trace,
                         now: trace.received.timeIntervalSince1970)
    }

    /// The app calling, once its token, the throttle and `permission` let it through.
    func authorize(_ authorization: String?, permission: GraphPermission, write: Bool, trace: RequestTrace)
        throws(ServiceFailure) -> String {
        let app: String
        switch issuer.app(authorization: authorization, now: clock.now().timeIntervalSince1970) {
        case .app(let id): app = id
        case .missing: throw unauthenticated("Access token is empty.", trace)
        case .unknown: throw unauthenticated("Access token validation failure. Invalid token.", trace)
        case .expired: throw unauthenticated("Lifetime validation failed, the token is expired.", trace)
        }
        if let throttle, let refusal = throttle.admit(app: app, write: write, now: clock.uptime()) {
            throw tooManyRequests(app: app, write: write, refusal: refusal, trace: trace)
        }
        guard !configuration.deniedPermissions.contains(permission) else {
            throw ServiceFailure.graph(.forbidden, code: "Forbidden",
                                       message: "Application is not authorized to perform this operation. Application "
                                           + "must have one of the following scopes: \(permission.rawValue)",
                                       trace: trace).by(app)
        }
        return app
    }

    private func unauthenticated(_ message: String, _ trace: RequestTrace) -> ServiceFailure {
        .graph(.unauthorized, code: "InvalidAuthenticationToken", message: message, trace: trace,
               headers: [("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
                   + "common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"")])
    }

    /// A 429. One that other apps' load caused says nothing of when to come back.
    private func tooManyRequests(app: String, write: Bool, refusal: Refusal, trace: RequestTrace) -> ServiceFailure {
        var headers: [(String, String)] = []
        if !refusal.shared, let value = retryAfter(refusal.wait) { headers.append(("Retry-After", value)) }
        return ServiceFailure.graph(.tooManyRequests, code: "TooManyRequests",
                                    message: "Too many requests from Identifier:\(configuration.tenant)+\(app) under "
                                        + "category:\(write ? "IntuneWrites" : "IntuneRequests"). Please try again later.",
                                    trace: trace, headers: headers).by(app)
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
    func act(_ action: DeviceAction, deviceID: String, authorization: String?, url: String, trace: RequestTrace)
        throws(ServiceFailure) -> (app: String, fault: InjectedFault?) {
        let app = try authorize(authorization, permission: .privilegedOperations, write: true, trace: trace)
        var fault: WriteFault? = nil
        if dice.chance(configuration.faultRate), !configuration.faults.isEmpty {
            fault = dice.pick(configuration.faults)
            if fault == .unavailable { throw unavailable(trace).by(app) }
        }
        guard let index = fleet.index(of: deviceID) else { throw notFound(deviceID, url: url, trace: trace).by(app) }
        switch book.receive(action, device: fleet.devices[index], index: index, now: trace.received) {
        case .refused(let reason):
            throw ServiceFailure.intune(.badRequest, code: "BadRequest", reason: configuration.reasonless400 ? nil : reason,
                                        url: url, trace: trace).by(app)
        case .accepted(let count, let failsOnDevice):
            journal?.effect(deviceID: deviceID, action: action, count: count, failsOnDevice: failsOnDevice,
                            time: clock.now(), trace: trace)
        }
        guard let fault else { return (app, nil) }
        switch fault {
        case .slow: return (app, .slow)
        case .drop: return (app, .drop)
        case .internalServerError, .badGateway, .gatewayTimeout: throw afterEffect(fault, url: url, trace: trace).by(app)
        case .unavailable: return (app, nil)  // answered above, before the effect
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
    func readFault(app: String, trace: RequestTrace) throws(ServiceFailure) {
        if dice.chance(configuration.readFaultRate) { throw unavailable(trace).by(app) }
    }

    /// The answer's extra time: between half and one and a half of `--latency-ms`.
    func latency() -> Duration? {
        configuration.latencyMS > 0 ? .microseconds(Int64(dice.around(Double(configuration.latencyMS)) * 1000)) : nil
    }
}
