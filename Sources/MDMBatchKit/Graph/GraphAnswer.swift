import Foundation

/// What a Graph status and error body mean to the engine (DESIGN "Answers").
enum GraphAnswer {
    /// Longest service message kept: they end up in audit rows.
    static let maximumMessageLength = 1000

    /// nil for a success (2xx); else the error. 401 is handled before (the token is renewed
    /// once); one that still comes here is a refused sign-in.
    static func error(for response: GraphHTTPResponse, permission: String) -> TransportError? {
        let status = response.status
        if (200..<300).contains(status) { return nil }
        let detail = ErrorBody(response.body)
        let message = detail.message ?? "HTTP \(status) without an error message"
        switch status {
        case 429, 500, 502, 503, 504, 408:
            return .transient(status: status, retryAfter: response.header("Retry-After"), message: detail.summary ?? message)
        case 401:
            return .signInRefused(message: "Graph refused the access token (HTTP 401): \(detail.summary ?? message)")
        case 403:
            return .permissionDenied(permission: permission, message: detail.summary ?? message)
        case 400..<500:
            return .permanent(status: status, code: detail.code, message: message)
        case 300..<400:
            return .permanent(status: status, code: nil,
                              message: "unexpected redirect to \(response.header("Location") ?? "nowhere") (redirects are not followed)")
        default:
            // Another 5xx (501, 505, …), or a status outside HTTP: nothing says whether the
            // service acted, so the engine asks before sending again.
            return .unknownOutcome(message: "unexpected HTTP \(status): \(message)")
        }
    }

    /// Graph's `{"error": {"code": …, "message": …}}`, with Intune's message unwrapped: it is
    /// often itself JSON text, `{"_version": 3, "Message": "An error has occurred - …", …}`.
    struct ErrorBody {
        var code: String?
        var message: String?

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
                return
            }
            if let error = object["error"] as? [String: Any] {
                code = (error["code"] as? String).flatMap { $0.isEmpty ? nil : redacted($0) }
                message = (error["message"] as? String).map(redacted).map(GraphAnswer.unwrapIntune).map(GraphAnswer.clean)
            } else if let error = object["error"] as? String {
                // The token endpoint's shape: {"error": "invalid_client", "error_description": "…"}.
                code = redacted(error)
                message = (object["error_description"] as? String).map(redacted).map(GraphAnswer.clean)
            }
            if message?.isEmpty == true { message = nil }
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
