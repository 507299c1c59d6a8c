import Foundation
import Synchronization
@testable import MDMBatchKit

/// An HTTP executor that answers from scripts: one for the token endpoint, one for Graph.
/// It records every request. Each script gets the request and its number (from 1) among
/// the requests of its kind.
final class ScriptedExecutor: GraphHTTPExecutor {
    enum Step: Sendable {
        case answer(GraphHTTPResponse)
        case fail(GraphConnectionFailure)

        static func status(_ status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) -> Step {
            .answer(GraphHTTPResponse(status: status, headers: headers, body: body))
        }

        static func token(_ value: String, expiresIn: Int = 3599) -> Step {
            .status(200, body: GraphFixtures.json(#"{"token_type":"Bearer","expires_in":\#(expiresIn),"ext_expires_in":\#(expiresIn),"access_token":"\#(value)"}"#))
        }
    }

    typealias Script = @Sendable (GraphHTTPRequest, Int) async -> Step

    private let tokenScript: Script
    private let graphScript: Script
    private let log = Mutex<(requests: [GraphHTTPRequest], tokens: Int, graph: Int, shutdowns: Int)>(([], 0, 0, 0))

    /// By default the token endpoint hands out `token-1`, `token-2`, … valid for an hour.
    init(token: Script? = nil, graph: @escaping Script) {
        tokenScript = token ?? { _, n in .token("token-\(n)") }
        graphScript = graph
    }

    func execute(_ request: GraphHTTPRequest) async throws -> GraphHTTPResponse {
        let isToken = request.url.hasSuffix("/oauth2/v2.0/token")
        let number = log.withLock { log in
            log.requests.append(request)
            if isToken { log.tokens += 1; return log.tokens }
            log.graph += 1
            return log.graph
        }
        switch await (isToken ? tokenScript : graphScript)(request, number) {
        case .answer(let response): return response
        case .fail(let failure): throw failure
        }
    }

    func shutdown() async { log.withLock { $0.shutdowns += 1 } }

    var requests: [GraphHTTPRequest] { log.withLock { $0.requests } }
    var graphRequests: [GraphHTTPRequest] { requests.filter { !$0.url.hasSuffix("/oauth2/v2.0/token") } }
    var tokenRequests: [GraphHTTPRequest] { requests.filter { $0.url.hasSuffix("/oauth2/v2.0/token") } }
    var shutdowns: Int { log.withLock { $0.shutdowns } }
}
