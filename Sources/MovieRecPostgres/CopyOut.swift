import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A postgres-nio connection that can also run `COPY … TO STDOUT`.
///
/// postgres-nio 1.33 implements `COPY … FROM STDIN` but not `COPY … TO STDOUT`, and rows fetched one by one cost
/// the client about 3 µs each. So the connection is opened on a channel of our own
/// (`Configuration(establishedChannel:)`: postgres-nio does the startup, authentication and TLS as for any
/// connection), and a ``CopyOutHandler`` sits in that channel's pipeline between the transport (or TLS) and
/// postgres-nio's decoder. It passes every byte through, except while ``copyOut(_:sink:)`` runs: then it sends
/// the statement itself (a simple-query message) and takes the server's answer up to its ReadyForQuery, so
/// postgres-nio, idle all the while, never sees it. The connection is used by one task at a time.
final class CopyOutConnection: Sendable {
    /// The postgres-nio connection, for every other statement (not while a copy runs).
    let connection: PostgresConnection
    private let handler: NIOLoopBound<CopyOutHandler>
    private let server: String

    private init(connection: PostgresConnection, handler: NIOLoopBound<CopyOutHandler>, server: String) {
        self.connection = connection
        self.handler = handler
        self.server = server
    }

    /// Connects to `location` (with its TLS settings) and installs the copy handler.
    static func connect(_ location: PostgresLocation) async throws -> CopyOutConnection {
        let configuration = try PostgresConnector.configuration(location)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .connect(host: location.host, port: location.port).get()
            var established = PostgresConnection.Configuration(
                establishedChannel: channel, tls: configuration.tls, username: location.user,
                password: location.password, database: location.database)
            // What postgres-nio does for a host it connects to itself: the name for SNI and the certificate check,
            // unless it is an IP address.
            established.options = configuration.options
            if (try? SocketAddress(ipAddress: location.host, port: 0)) == nil {
                established.options.tlsServerName = location.host
            }
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(on: channel.eventLoop, configuration: established,
                                                                  id: 2, logger: PostgresConnector.logger).get()
            } catch {
                try? await channel.close()
                throw error
            }
            let handler = try await channel.eventLoop.submit {
                let handler = CopyOutHandler()
                let pipeline = channel.pipeline.syncOperations
                // Behind TLS when there is TLS (the handler reads plain protocol messages), else next to the socket.
                if let tls = try? pipeline.context(handlerType: NIOSSLClientHandler.self) {
                    try pipeline.addHandler(handler, position: .after(tls.handler))
                } else {
                    try pipeline.addHandler(handler, position: .first)
                }
                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
            }.get()
            return CopyOutConnection(connection: connection, handler: handler, server: location.description)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError.unreachable(server: location.description,
                                            reason: PostgresConnector.reason(error, at: location))
        }
    }

    /// Runs `sql` (a `COPY … TO STDOUT`) and returns its row count and its data; with a `sink`, the data goes to
    /// the sink instead, in pieces of about ``CopyOutHandler/sinkBytes`` (whole rows) as it arrives (on the
    /// connection's event loop, in order), and the returned data is empty.
    ///
    /// - Throws: ``PostgresError/statementFailed(server:doing:reason:)`` with the server's message, or the
    ///   sink's error (after the server has finished answering, so the connection stays usable).
    func copyOut(_ sql: String, sink: (@Sendable (ByteBuffer) throws -> Void)? = nil) async throws
        -> (rows: Int, data: ByteBuffer) {
        let handler = handler
        let eventLoop = handler.eventLoop
        let promise = eventLoop.makePromise(of: CopyOutHandler.Result.self)
        eventLoop.execute { handler.value.start(sql, sink: sink, promise: promise) }
        let result = try await promise.futureResult.get()
        switch result.outcome {
        case .done: return (result.rows, result.data)
        case .serverError(let message):
            throw PostgresError.statementFailed(server: server, doing: "reading the ratings",
                                                reason: PostgresLocation.redact(message))
        case .sinkError(let error): throw error
        }
    }

    /// Closes the connection.
    func close() async {
        try? await connection.close()
    }
}

/// Runs one `COPY … TO STDOUT` at a time on its channel (see ``CopyOutConnection``), and otherwise passes
/// everything through. Every method runs on the channel's event loop.
final class CopyOutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Bytes of data handed to a sink at a time.
    static let sinkBytes = 1 << 20

    /// The end of a copy.
    struct Result: Sendable {
        enum Outcome: Sendable {
            case done
            /// The server's ErrorResponse (message and SQLSTATE).
            case serverError(String)
            /// The sink failed (the rest of the answer was read and dropped).
            case sinkError(Error)
        }
        var outcome: Outcome
        var rows: Int
        var data: ByteBuffer
    }

    private struct Copy {
        var promise: EventLoopPromise<Result>
        var sink: (@Sendable (ByteBuffer) throws -> Void)?
        var data: ByteBuffer
        var rows = 0
        var serverError: String?
        var sinkError: Error?
    }

    private var context: ChannelHandlerContext?
    private var copy: Copy?
    /// Bytes of a message not complete yet.
    private var pending: ByteBuffer?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail("the connection's pipeline was changed")
        self.context = nil
    }

    /// Sends `sql` as a simple query and starts taking the answer.
    func start(_ sql: String, sink: (@Sendable (ByteBuffer) throws -> Void)?, promise: EventLoopPromise<Result>) {
        guard let context, context.channel.isActive else {
            promise.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard copy == nil else {
            promise.fail(ChannelError.inappropriateOperationForState)
            return
        }
        copy = Copy(promise: promise, sink: sink, data: context.channel.allocator.buffer(capacity: 1 << 16))
        context.writeAndFlush(wrapOutboundOut(CopyOutParser.queryMessage(sql, allocator: context.channel.allocator)),
                              promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard copy != nil else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if var held = pending {
            pending = nil
            held.writeBuffer(&incoming)
            incoming = held
        }
        // Locals, not the stored copy: no exclusivity check per message.
        var data = copy!.data
        copy!.data = ByteBuffer()
        data.reserveCapacity(minimumWritableBytes: incoming.readableBytes)
        var rows: Int?
        var serverError: String?
        let (consumed, finished) = incoming.withUnsafeReadableBytes { bytes in
            CopyOutParser.consume(bytes) { event in
                switch event {
                case .data(let payload): data.writeBytes(payload)
                case .rows(let count): rows = count
                case .error(let message): serverError = message
                }
            }
        }
        copy!.data = data
        if let rows { copy!.rows = rows }
        if let serverError { copy!.serverError = serverError }
        // The parser consumed every complete message: keep the incomplete rest for the next read.
        incoming.moveReaderIndex(forwardBy: consumed)
        if finished {
            let rest = incoming
            finish()
            if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
            return
        }
        if incoming.readableBytes > 0 { pending = incoming }
        if copy!.data.readableBytes >= Self.sinkBytes { drain() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the server closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let copy {
            self.copy = nil
            copy.promise.fail(error)
        }
        context.fireErrorCaught(error)
    }

    /// Hands the data so far to the sink (the first failure is kept; the rest of the answer is dropped).
    private func drain() {
        guard let sink = copy?.sink else { return }
        if copy!.sinkError == nil {
            do { try sink(copy!.data) } catch { copy!.sinkError = error }
        }
        copy!.data.clear()
    }

    private func finish() {
        guard copy != nil else { return }
        if copy!.serverError == nil, copy!.data.readableBytes > 0 { drain() }
        let copy = self.copy!
        self.copy = nil
        pending = nil
        let outcome: Result.Outcome = copy.serverError.map { .serverError($0) }
            ?? copy.sinkError.map { .sinkError($0) } ?? .done
        copy.promise.succeed(Result(outcome: outcome, rows: copy.rows, data: copy.data))
    }

    private func fail(_ reason: String) {
        guard let copy else { return }
        self.copy = nil
        pending = nil
        copy.promise.succeed(Result(outcome: .serverError(reason), rows: 0, data: ByteBuffer()))
    }
}

/// Reads the server's answer to a `COPY … TO STDOUT` sent as a simple query: CopyOutResponse, CopyData…,
/// CopyDone, CommandComplete (`COPY n`), ReadyForQuery, or an ErrorResponse on the way; notices, parameter
/// statuses and any row messages are skipped. Pure, so recorded byte streams test it.
enum CopyOutParser {
    /// What a message meant.
    enum Event {
        /// A CopyData payload (one or more CSV lines).
        case data(UnsafeRawBufferPointer)
        /// The row count of CommandComplete.
        case rows(Int)
        /// An ErrorResponse: its message and SQLSTATE.
        case error(String)
    }

    /// Reads the complete messages at the start of `bytes`, reporting each as an event. Returns how many bytes
    /// it used (whole messages only: the rest is an incomplete message, to be given again with more bytes) and
    /// whether the answer is complete (the last message used is ReadyForQuery). A message whose length field is
    /// below its own four bytes ends the answer with an error: the stream cannot be read any further.
    static func consume(_ bytes: UnsafeRawBufferPointer, _ report: (Event) -> Void) -> (consumed: Int, finished: Bool) {
        var offset = 0
        while bytes.count - offset >= 5 {
            let type = bytes[offset]
            let length = Int(UInt32(bytes[offset + 1]) << 24 | UInt32(bytes[offset + 2]) << 16
                             | UInt32(bytes[offset + 3]) << 8 | UInt32(bytes[offset + 4]))
            guard length >= 4 else {
                report(.error("a malformed message from the server (length \(length))"))
                return (bytes.count, true)
            }
            guard bytes.count - offset >= 1 + length else { break }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 5)..<(offset + 1 + length)])
            offset += 1 + length
            switch type {
            case UInt8(ascii: "d"): report(.data(body))
            case UInt8(ascii: "C"):
                let tag = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                if tag.hasPrefix("COPY "), let rows = Int(tag.dropFirst(5)) { report(.rows(rows)) }
            case UInt8(ascii: "E"): report(.error(Self.errorText(body)))
            case UInt8(ascii: "Z"): return (offset, true)
            default: break  // CopyOutResponse, CopyDone, notices, parameter statuses, row descriptions
            }
        }
        return (offset, false)
    }

    /// "message (SQLSTATE code)" of an ErrorResponse body.
    static func errorText(_ body: UnsafeRawBufferPointer) -> String {
        var message = "", code = ""
        var offset = 0
        while offset < body.count, body[offset] != 0 {
            let field = body[offset]
            offset += 1
            let start = offset
            while offset < body.count, body[offset] != 0 { offset += 1 }
            let value = String(decoding: body[start..<offset], as: UTF8.self)
            offset += 1
            if field == UInt8(ascii: "M") { message = value }
            if field == UInt8(ascii: "C") { code = value }
        }
        return code.isEmpty ? message : "\(message) (SQLSTATE \(code))"
    }

    /// The simple-query message of `sql`.
    static func queryMessage(_ sql: String, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var message = allocator.buffer(capacity: sql.utf8.count + 6)
        message.writeInteger(UInt8(ascii: "Q"))
        message.writeInteger(Int32(4 + sql.utf8.count + 1))
        message.writeString(sql)
        message.writeInteger(UInt8(0))
        return message
    }
}
