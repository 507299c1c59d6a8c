import Foundation

/// What a Graph status and error body mean to the engine (DESIGN "Answers").
enum GraphAnswer {
    /// Longest service message kept: they end up in audit rows.
    static let maximumMessageLength = 1000

    /// nil for a success (2xx); else what the answer proves (DESIGN.md, "Third round"): a
    /// 429 that nothing was done; 500, 502, 503, 504 and 408 nothing at all, since they may
    /// come after the action took effect; a 4xx that the request is refused. 401 is handled
    /// before (the token is renewed once); one that still comes here is a refused sign-in.
    /// What to do about it is `RetryDecision`'s to say.
    static func error(for response: GraphHTTPResponse, permission: String, clientRequestID: String? = nil) -> TransportError? {
        let status = response.status
        if (200..<300).contains(status) { return nil }
        let detail = ErrorBody(response.body)
        let message = detail.message ?? "HTTP \(status) without an error message"
        switch status {
        case 429:
            return .throttled(retryAfter: response.header("Retry-After"), message: detail.summary ?? "Too Many Requests")
        case 401:
            return .signInRefused(message: "Graph refused the access token (HTTP 401): \(detail.summary ?? message)")
        case 403:
            return .permissionDenied(permission: permission, message: detail.summary ?? message)
        case 408:
            return .unknownOutcome(message: "HTTP 408 (the service gave up waiting): \(detail.summary ?? message)")
        case 400..<500:
            let reference = ServiceReference(operationID: detail.operationID,
                                             requestID: response.header("request-id") ?? detail.requestID,
                                             clientRequestID: clientRequestID)
            return .permanent(status: status, code: detail.code, message: detail.reason, reference: reference)
        case 300..<400:
            return .permanent(status: status, code: nil,
                              message: "unexpected redirect to \(response.header("Location") ?? "nowhere") (redirects are not followed)")
        default:
            // 500, 502, 503, 504 and any other status: the service may have acted before it
            // answered (Graph's 504 says only that its upstream did not answer in time).
            return .unknownOutcome(message: "HTTP \(status) \(detail.summary ?? message)")
        }
    }

    /// Graph's `{"error": {"code": …, "message": …}}`, with Intune's message unwrapped: it is
    /// often itself JSON text, `{"_version": 3, "Message": "An error has occurred - …", …}`.
    struct ErrorBody {
        var code: String?
        var message: String?
        /// Intune's `Operation ID (for customer support)` in its nested message.
        var operationID: String?
        /// `innerError.request-id`.
        var requestID: String?
        /// What the message says of why, without the ids and the URL Intune puts in it; nil
        /// when it says nothing more (a real Intune 400 often does not).
        var reason: String?

        /// - Parameter secrets: texts replaced by `<redacted>` wherever they appear, before
        ///   anything is shortened or collapsed (a cut or a collapsed space would leave a
        ///   prefix of the secret that no longer matches it).
        init(_ body: [UInt8], redacting secrets: [String] = []) {
            guard !body.isEmpty else { return }
            func redacted(_ text: String) -> String {
                secrets.reduce(text) { $1.isEmpty ? $0 : $0.replacingOccurrences(of: $1, with: "<redacted>") }
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                message = GraphAnswer.clean(String(redacted(String(decoding: body, as: UTF8.self)).prefix(300)))
                if message?.isEmpty == true { message = nil }
                reason = message
                return
            }
            if let error = object["error"] as? [String: Any] {
                code = (error["code"] as? String).flatMap { $0.isEmpty ? nil : redacted($0) }
                message = (error["message"] as? String).map(redacted).map(GraphAnswer.unwrapIntune).map(GraphAnswer.clean)
                if let inner = error["innerError"] as? [String: Any] ?? error["innererror"] as? [String: Any] {
                    requestID = inner["request-id"] as? String
                }
            } else if let error = object["error"] as? String {
                // The token endpoint's shape: {"error": "invalid_client", "error_description": "…"}.
                code = redacted(error)
                message = (object["error_description"] as? String).map(redacted).map(GraphAnswer.clean)
            }
            if message?.isEmpty == true { message = nil }
            if let message {
                let parts = IntuneMessage(message)
                operationID = parts.operationID
                reason = parts.reason
            }
        }

        /// `code: message`, or whichever there is.
        var summary: String? {
            switch (code, message) {
            case (let code?, let message?): "\(code): \(message)"
            case (let code?, nil): code
            case (nil, let message?): message
            case (nil, nil): nil
            }
        }
    }

    /// Intune's message, taken apart: `An error has occurred - Operation ID (for customer
    /// support): … - Activity ID: … - Url: … - <reason, if any>`. A message not of that
    /// shape is all reason.
    struct IntuneMessage {
        var operationID: String?
        var reason: String?

        init(_ text: String) {
            let parts = text.components(separatedBy: " - ")
            guard parts.count > 1, parts[0].hasPrefix("An error has occurred") else {
                reason = text.isEmpty ? nil : text
                return
            }
            var rest: [String] = []
            for part in parts.dropFirst() {
                if part.hasPrefix("Operation ID") {
                    operationID = part.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
                } else if part.hasPrefix("Activity ID") || part.hasPrefix("Url:") {
                    continue
                } else {
                    rest.append(part)
                }
            }
            let joined = rest.joined(separator: " - ").trimmingCharacters(in: .whitespaces)
            reason = joined.isEmpty ? nil : joined
        }
    }

    /// Intune's nested message: the `Message` of a JSON object in the text, else the text.
    static func unwrapIntune(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{"), let data = trimmed.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return text }
        for key in ["Message", "message"] {
            if let inner = object[key] as? String, !inner.isEmpty { return inner }
        }
        return text
    }

    /// One line, no control characters, bounded.
    static func clean(_ text: String) -> String {
        var out = ""
        var lastWasSpace = false
        var kept = 0
        for scalar in text.unicodeScalars {
            let isSpace = scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
            if isSpace {
                if !lastWasSpace && !out.isEmpty { out.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
            kept += 1
            if kept >= maximumMessageLength { out += "…"; break }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
