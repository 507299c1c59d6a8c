/// The verdict of the rules for one (request, device): one element of a plan.
public struct PlanItem: Sendable, Equatable {
    public var line: Int
    public var requestID: String?
    /// nil when the request's action is none of the names (check 1 rejects it).
    public var action: Action?
    /// The action as written in the batch.
    public var actionText: String
    public var target: String
    public var deviceID: String?
    /// The device's platform under the rule set in force (`unlisted`, `version_needed` included).
    public var platform: PlatformResolution?
    public var verdict: Verdict
    /// Not to be sent, for what an earlier run did: `already_done` or `unknown_earlier`.
    public var skip: ReasonCode?
    public var requestedBy: String?
    public var justification: String?
    public var ticket: String?

    public init(line: Int, requestID: String?, action: Action?, actionText: String, target: String, deviceID: String?,
                platform: PlatformResolution?, verdict: Verdict, requestedBy: String?, justification: String?, ticket: String?) {
        self.line = line
        self.requestID = requestID
        self.action = action
        self.actionText = actionText
        self.target = target
        self.deviceID = deviceID
        self.platform = platform
        self.verdict = verdict
        self.requestedBy = requestedBy
        self.justification = justification
        self.ticket = ticket
    }

    /// The action's canonical name when valid, else the text as written.
    public var actionName: String { action?.rawValue ?? actionText }

    /// Accepted, rejected by the rules, or skipped for what an earlier run did.
    public var planVerdict: PlanVerdict { skip != nil ? .skipped : verdict.accepted ? .accepted : .rejected }

    /// The reason it is rejected or skipped.
    public var reason: ReasonCode? { skip ?? verdict.reason }

    /// It will be sent.
    public var isSendable: Bool { skip == nil && verdict.accepted }

    /// The secret the action makes under the rule set in force, when it is sent.
    public var secret: SecretKind? { isSendable ? verdict.secret : nil }
}

/// What a plan does with an element, as plan and report elements name it (`verdict`).
public enum PlanVerdict: String, Sendable, CaseIterable {
    /// Refused by the rules.
    case rejected
    /// Not to be sent, for what an earlier run did (`already_done`, `unknown_earlier`).
    case skipped
    /// To be sent.
    case accepted
}

/// Counts over a plan.
public struct PlanSummary: Sendable, Equatable {
    public var requests = 0
    /// Elements: (request, device) pairs, plus one per request that resolved to no device.
    public var targets = 0
    /// Elements to be sent.
    public var accepted = 0
    public var rejected = 0
    /// Elements not to be sent for what an earlier run did (`already_done`, `unknown_earlier`).
    public var skipped = 0
    /// Rejections and skips, by reason.
    public var byReason: [ReasonCode: Int] = [:]
    /// Elements to be sent that make a secret, by kind.
    public var secrets: [SecretKind: Int] = [:]

    public init() {}

    public var temporaryPasscodes: Int { secrets[.temporaryPasscode] ?? 0 }

    mutating func add(_ item: PlanItem, newRequest: Bool) {
        if newRequest { requests += 1 }
        targets += 1
        if let skip = item.skip {
            skipped += 1
            byReason[skip, default: 0] += 1
        } else if let reason = item.verdict.reason {
            rejected += 1
            byReason[reason, default: 0] += 1
        } else {
            accepted += 1
            if let secret = item.secret { secrets[secret, default: 0] += 1 }
        }
    }
}

/// A finished plan: which batch, and its counts (the elements were streamed).
public struct Plan: Sendable, Equatable {
    public var batch: BatchFileInfo
    public var rules: RuleSet
    /// The service whose earlier runs counted for the skips.
    public var service: ServiceIdentity = .mock
    public var summary: PlanSummary
}
