import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MDMBatchShared
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The simulator on HTTP: Entra's token endpoint and Graph's routes under `/v1.0` and
/// `/beta`, served by Hummingbird on a loopback address.
public struct GraphSimServer: Sendable {
    let service: GraphService
    /// `http://127.0.0.1:PORT` once bound: the origin of links when a request has no Host.
    private let boundOrigin = NIOLockedValueBox<String>("http://127.0.0.1")

    public init(service: GraphService) {
        self.service = service
    }

    /// Serves until SIGINT or SIGTERM: then stops taking connections and, at most one
    /// second later, cancels what is still running (a slow answer does not hold the exit).
    /// `onListening` gets the URL once the port is bound.
    public func run(host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (String) -> Void) async throws {
        let boundOrigin = self.boundOrigin
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                let origin = host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
                boundOrigin.withLockedValue { $0 = origin }
                onListening(origin)
            },
            logger: logger
        )
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(1)
        configuration.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// The routes, for a live server or for Hummingbird's test client.
    public func router() -> Router<SimRequestContext> {
        let router = Router(context: SimRequestContext.self)
        router.add(middleware: ServiceFrontMiddleware(service: service))
        let service = self.service
        let boundOrigin = self.boundOrigin
        @Sendable func origin(_ request: Request) -> String {
            request.head.authority.map { "http://\($0)" } ?? boundOrigin.withLockedValue { $0 }
        }
        @Sendable func read(_ request: Request, _ context: SimRequestContext, _ version: GraphVersion) -> ReadRequest {
            ReadRequest(version: version, origin: origin(request), path: request.uri.path,
                        query: FormFields(request.uri.query ?? ""), authorization: request.headers[.authorization],
                        trace: context.trace)
        }

        router.post(":tenant/oauth2/v2.0/token") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            let tenant = context.parameters.get("tenant") ?? ""
            let (json, app, served) = try service.issueToken(tenant: tenant, form: FormFields(String(buffer: body)),
                                                             origin: origin(request), trace: context.trace)
            var response = ServiceFrontMiddleware.json(.ok, json, contentType: "application/json; charset=utf-8")
            response.headers[.cacheControl] = "no-store, no-cache"
            response.headers[InternalHeader.app] = app
            response.headers[InternalHeader.tenant] = served
            return response
        }

        for version in GraphVersion.allCases {
            let graph = router.group(RouterPath(version.rawValue))
            graph.get("deviceManagement/managedDevices") { request, context in
                let (body, caller, fault) = try service.listDevices(read(request, context, version))
                return Self.answer(.ok, body, caller: caller, fault: fault)
            }
            graph.get("deviceManagement/managedDevices/:id") { request, context in
                let id = Self.pathParameter(context, "id")
                let (body, caller) = try service.device(id, read(request, context, version))
                return Self.answer(.ok, body, caller: caller)
            }
            for action in DeviceAction.allCases {
                graph.post("deviceManagement/managedDevices/:id/\(action.rawValue)") { request, context in
                    let url = origin(request) + request.uri.path
                    let (caller, fault) = try service.act(action, deviceID: Self.pathParameter(context, "id"),
                                                          authorization: request.headers[.authorization], url: url,
                                                          trace: context.trace)
                    var response = Response(status: .noContent)
                    response.headers[InternalHeader.app] = caller.app
                    response.headers[InternalHeader.tenant] = caller.tenant.id
                    if let fault { response.headers[InternalHeader.fault] = fault.rawValue }
                    return response
                }
            }
            graph.get("users") { request, context in
                let (body, caller) = try service.listUsers(read(request, context, version))
                return Self.answer(.ok, body, caller: caller)
            }
        }
        return router
    }

    private static func answer(_ status: HTTPResponse.Status, _ body: String, caller: Caller, fault: InjectedFault? = nil)
        -> Response {
        var response = ServiceFrontMiddleware.json(status, body, contentType: ServiceFrontMiddleware.graphContentType)
        response.headers[InternalHeader.app] = caller.app
        response.headers[InternalHeader.tenant] = caller.tenant.id
        if let fault { response.headers[InternalHeader.fault] = fault.rawValue }
        return response
    }

    private static func pathParameter(_ context: SimRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
