import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The process's one HTTP client (async-http-client): connect and read timeouts, a pool of
/// `poolSize` HTTP/1.1 connections per host, no redirects followed. Shut it down once, at the end.
///
/// async-http-client never sends a request again on its own: it retries *connecting* (with
/// backoff, until the connect timeout), not requests. So a failure is split by whether the
/// request can have been written (`GraphConnectionFailure`).
public final class GraphHTTPClient: GraphHTTPExecutor {
    /// The largest answer read: a page of 1 000 devices is well under a megabyte. A larger
    /// one is refused (`tooLarge`) without being read further, so memory stays bounded.
    public static let maximumBodyBytes = 16 << 20

    private let client: HTTPClient
    private let requestTimeout: TimeAmount
    private let logger: Logger

    public init(settings: GraphSettings, logger: Logger) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(Int64(settings.connectTimeout * 1e9)),
                           read: .nanoseconds(Int64(settings.readTimeout * 1e9))),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.poolSize),
            decompression: .disabled)
        // One connection per request in flight, as many as the run's concurrency: with HTTP/2
        // all would share one connection and the pool size would mean nothing.
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
                            backgroundActivityLogger: logger)
        requestTimeout = .nanoseconds(Int64(settings.requestTimeout * 1e9))
        self.logger = logger
    }

    public func execute(_ request: GraphHTTPRequest) async throws -> GraphHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method == .get ? .GET : .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        } else if request.method == .post {
            // Graph answers 411 to a POST without a length.
            outgoing.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        let deadline = NIODeadline.now() + requestTimeout
        do {
            let response = try await client.execute(outgoing, deadline: deadline, logger: logger)
            let body: ByteBuffer
            do {
                body = try await Self.collect(response.body, before: deadline)
            } catch is NIOTooManyBytesError {
                throw GraphConnectionFailure.tooLarge(status: Int(response.status.code),
                                                      "the answer of \(request.url) is larger than \(Self.maximumBodyBytes) bytes")
            }
            return GraphHTTPResponse(status: Int(response.status.code),
                                     headers: response.headers.map { (name: $0.name, value: $0.value) },
                                     body: Array(buffer: body))
        } catch {
            // a stop or --max-run-time cancelled the call: not a failure of the service
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            if let failure = error as? GraphConnectionFailure { throw failure }
            throw Self.classify(error)
        }
    }

    /// The whole body, read before `deadline`. async-http-client's deadline ends with the
    /// head, and its read timeout starts again with every byte: a body dripped a byte at a
    /// time would never time out. Cancelling the read cancels the request.
    static func collect(_ body: HTTPClientResponse.Body, before deadline: NIODeadline) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: maximumBodyBytes) }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(max(0, (deadline - .now()).nanoseconds)))
                return nil
            }
            defer { group.cancelAll() }
            guard case let whole?? = try await group.next() else { throw HTTPClientError.deadlineExceeded }
            return whole
        }
    }

    public func shutdown() async {
        do {
            try await client.shutdown()
        } catch {
            logger.debug("HTTP client shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// Nothing written (no connection was made) or maybe written. Anything not known to
    /// come before the request is written counts as maybe written: an unknown outcome is
    /// asked about, while a wrong "not sent" would send a reset twice.
    static func classify(_ error: any Error) -> GraphConnectionFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout,
                 .httpProxyHandshakeTimeout, .alreadyShutdown, .invalidURL, .emptyHost, .emptyScheme,
                 .invalidProxyResponse, .proxyAuthenticationRequired:
                return .notSent("\(error)")
            case .readTimeout:
                return .noAnswer("no answer within the read timeout")
            case .deadlineExceeded:
                return .noAnswer("no whole answer within the request timeout")
            case .remoteConnectionClosed:
                return .noAnswer("the connection closed before the answer")
            default:
                return .noAnswer("\(error)")
            }
        }
        if let error = error as? NIOConnectionError {
            return .notSent("cannot connect to \(error.host):\(error.port): \(error)")
        }
        if case ChannelError.connectTimeout = error {
            return .notSent("connect timeout")
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL:
                return .notSent("cannot connect: \(error)")
            default:
                return .noAnswer("\(error)")
            }
        }
        return .noAnswer("\(error)")
    }
}
