import Dispatch
import Foundation
import Hummingbird
import MDMBatchKit

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

    public init(configuration: SimConfiguration, fleet: Fleet, journal: Journal?) {
        self.configuration = configuration
        self.fleet = fleet
        self.journal = journal
        dice = SeededDice(seed: configuration.seed)
        book = ActionBook(configuration: configuration, dice: dice)
        issuer = TokenIssuer(configuration: configuration)
        throttle = configuration.throttle.map(Throttle.init)
    }

    // MARK: Sign-in

    public func issueToken(tenant: String, form: FormFields, origin: String, trace: RequestTrace) throws(ServiceFailure)
        -> (json: String, app: String) {
        try issuer.issue(tenant: tenant, fields: form, origin: origin, trace: trace)
    }

    /// The app calling, once its token, the throttle and `permission` let it through.
    func authorize(_ authorization: String?, permission: GraphPermission, write: Bool, trace: RequestTrace)
        throws(ServiceFailure) -> String {
        let app: String
        switch issuer.app(authorization: authorization) {
        case .app(let id): app = id
        case .missing: throw unauthenticated("Access token is empty.", trace)
        case .unknown: throw unauthenticated("Access token validation failure. Invalid token.", trace)
        case .expired: throw unauthenticated("Lifetime validation failed, the token is expired.", trace)
        }
        if let throttle, let wait = throttle.admit(app: app, write: write, now: Self.monotonicSeconds()) {
            throw tooManyRequests(app: app, write: write, wait: wait, trace: trace)
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

    private func tooManyRequests(app: String, write: Bool, wait: Double, trace: RequestTrace) -> ServiceFailure {
        var headers: [(String, String)] = []
        if let value = retryAfter(wait) { headers.append(("Retry-After", value)) }
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
        case .date: return GraphTime.httpDate(Date().addingTimeInterval(wait.rounded(.up)))
        case .absent, .mixed: return nil
        }
    }

    static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
    }

    // MARK: Actions

    /// `POST …/managedDevices/{id}/remoteLock` or `/resetPasscode`. Returns the app and
    /// the fault to play after the effect (`slow`, `drop`), if any.
    func act(_ action: DeviceAction, deviceID: String, authorization: String?, url: String, trace: RequestTrace)
        throws(ServiceFailure) -> (app: String, fault: InjectedFault?) {
        let app = try authorize(authorization, permission: .privilegedOperations, write: true, trace: trace)
        var fault: InjectedFault? = nil
        if dice.chance(configuration.faultRate), !configuration.faults.isEmpty {
            switch dice.pick(configuration.faults) {
            case .unavailable: throw unavailable(trace).by(app)
            case .slow: fault = .slow
            case .drop: fault = .drop
            }
        }
        guard let index = fleet.index(of: deviceID) else { throw notFound(deviceID, url: url, trace: trace).by(app) }
        switch book.receive(action, device: fleet.devices[index], index: index, now: trace.received) {
        case .refused(let reason):
            throw ServiceFailure.intune(.badRequest, code: "BadRequest", reason: reason, url: url, trace: trace).by(app)
        case .accepted(let count):
            journal?.effect(deviceID: deviceID, action: action, count: count, trace: trace)
        }
        return (app, fault)
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
