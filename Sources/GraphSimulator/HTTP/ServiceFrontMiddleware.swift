import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Internal response headers by which a route tells the front what the journal needs;
/// removed before the answer goes out.
enum InternalHeader {
    static let app = HTTPField.Name("x-graph-sim-app")!
    static let fault = HTTPField.Name("x-graph-sim-fault")!
    static let tenant = HTTPField.Name("x-graph-sim-tenant")!
    static let clientRequestID = HTTPField.Name("client-request-id")!
    static let requestID = HTTPField.Name("request-id")!
}

/// In front of every route: gives the request its ids, turns every failure into the
/// service's JSON (an unknown route is a JSON 404, never a crash), writes the journal line,
/// then spends the seeded latency and plays the injected fault (a slow answer, or a
/// connection closed without one).
struct ServiceFrontMiddleware: RouterMiddleware {
    typealias Context = SimRequestContext

    let service: GraphService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response {
        var context = context
        context.trace = service.trace(clientRequestID: request.headers[InternalHeader.clientRequestID])
        let trace = context.trace
        var response: Response
        var app: String?
        var tenant: String?
        var crossTenant: [String] = []
        var fault: InjectedFault?
        do {
            response = try await next(request, context)
            app = response.headers[InternalHeader.app]
            tenant = response.headers[InternalHeader.tenant]
            fault = response.headers[InternalHeader.fault].flatMap(InjectedFault.init(rawValue:))
            response.headers[InternalHeader.app] = nil
            response.headers[InternalHeader.tenant] = nil
            response.headers[InternalHeader.fault] = nil
        } catch let failure as ServiceFailure {
            response = Self.response(failure)
            app = failure.app
            tenant = failure.tenant
            crossTenant = failure.crossTenant
            fault = failure.fault
        } catch let error as HTTPError {
            let failure: ServiceFailure = if error.status == .notFound {
                .graph(.notFound, code: "NotFound", message: "Resource not found for the segment "
                    + "'\(request.uri.path.split(separator: "/").last ?? "")'. (graph-sim has no route for "
                    + "\(request.method) \(request.uri.path))", trace: trace)
            } else {
                .graph(error.status, code: error.status.reasonPhrase.replacingOccurrences(of: " ", with: ""),
                       message: error.body ?? error.status.reasonPhrase, trace: trace)
            }
            response = Self.response(failure)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            response = Self.response(.graph(.internalServerError, code: "InternalServerError",
                                            message: "graph-sim: \(error)", trace: trace))
        }
        response.headers[InternalHeader.requestID] = trace.requestID
        response.headers[InternalHeader.clientRequestID] = trace.clientRequestID ?? trace.requestID
        service.journal?.request(method: request.method.rawValue, path: request.uri.path, app: app,
                                 tenant: service.journalled(tenant), crossTenant: crossTenant, trace: trace,
                                 status: fault == .drop ? 0 : response.status.code, fault: fault)
        context.logger.debug("answered", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "app": "\(app ?? "-")", "fault": "\(fault?.rawValue ?? "-")", "request_id": "\(trace.requestID)",
        ])
        if let latency = service.latency() {
            // a timer of the connection's event loop: finer than Task.sleep, and no thread waits
            try await context.channel.eventLoop.scheduleTask(in: .nanoseconds(latency.nanoseconds)) {}.futureResult.get()
        }
        switch fault {
        case .drop:
            // the effect is recorded: close without an answer, as a lost connection would
            try? await context.channel.close()
        case .slow:
            try await Task.sleep(for: .milliseconds(service.configuration.slowMS))
        case .unavailable, .malformed, .internalServerError, .badGateway, .gatewayTimeout, nil:
            break
        }
        return response
    }

    static func response(_ failure: ServiceFailure) -> Response {
        var response = json(failure.status, failure.body, contentType: graphContentType)
        for (name, value) in failure.headers {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }

    static let graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

    static func json(_ status: HTTPResponse.Status, _ body: String, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
