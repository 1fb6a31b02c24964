import Foundation
@testable import MovieRecPostgres
import NIOCore
import NIOEmbedded
import XCTest

/// `COPY … TO STDOUT` read from recorded server answers: protocol messages built here byte by byte from the
/// protocol's documentation (type, 32-bit big-endian length counting itself, body), read by the parser alone and
/// by the handler in an embedded channel. No server needed.
final class CopyOutTests: XCTestCase {
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(body.count + 4)
        return [type.asciiValue!, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
                UInt8(length & 0xFF)] + body
    }

    static func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    /// CopyOutResponse (text, four text columns), a notice, one CopyData per row, CopyDone, CommandComplete,
    /// ReadyForQuery (inside a transaction).
    static func answer(rows: [String]) -> [UInt8] {
        var bytes = message("H", [0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        bytes += message("N", [UInt8(ascii: "S")] + cString("NOTICE") + [UInt8(ascii: "M")] + cString("just so") + [0])
        for row in rows { bytes += message("d", Array((row + "\n").utf8)) }
        bytes += message("c", [])
        bytes += message("C", cString("COPY \(rows.count)"))
        bytes += message("Z", [UInt8(ascii: "T")])
        return bytes
    }

    /// An ErrorResponse (severity, SQLSTATE, message) and ReadyForQuery.
    static let failure = message("E", [UInt8(ascii: "S")] + cString("ERROR") + [UInt8(ascii: "C")] + cString("42P01")
                                      + [UInt8(ascii: "M")] + cString("relation \"nope\" does not exist") + [0])
        + message("Z", [UInt8(ascii: "E")])

    static let rows = ["1,10,4.5,964982703", "1,20,3,964981247", "u-2,é,0.5,7"]

    /// Feeds `pieces` the way the handler does (an incomplete message waits for the next piece).
    /// The data, row count and error read, and where the answer ended in the bytes of all pieces (nil: not yet).
    static func parse(_ pieces: [[UInt8]]) -> (data: String, rows: Int?, error: String?, end: Int?) {
        var data: [UInt8] = [], rows: Int?, error: String?
        var held: [UInt8] = []
        var used = 0
        for piece in pieces {
            held += piece
            let (consumed, finished) = held.withUnsafeBytes { bytes in
                CopyOutParser.consume(bytes) { event in
                    switch event {
                    case .data(let payload): data += payload
                    case .rows(let count): rows = count
                    case .error(let message): error = message
                    }
                }
            }
            used += consumed
            if finished { return (String(decoding: data, as: UTF8.self), rows, error, used) }
            held.removeFirst(consumed)
        }
        return (String(decoding: data, as: UTF8.self), rows, error, nil)
    }

    func testParserReadsTheRowsAndTheirCountFromAWholeAnswer() {
        let bytes = Self.answer(rows: Self.rows)
        let parsed = Self.parse([bytes])
        XCTAssertEqual(parsed.data, Self.rows.map { $0 + "\n" }.joined())
        XCTAssertEqual(parsed.rows, 3)
        XCTAssertNil(parsed.error)
        XCTAssertEqual(parsed.end, bytes.count, "the answer ends just after ReadyForQuery")
    }

    func testParserGivesTheSameResultWhereverTheBytesAreSplit() {
        let bytes = Self.answer(rows: Self.rows)
        for cut in 0...bytes.count {
            let parsed = Self.parse([Array(bytes[..<cut]), Array(bytes[cut...])])
            XCTAssertEqual(parsed.data, Self.rows.map { $0 + "\n" }.joined(), "cut at \(cut)")
            XCTAssertEqual(parsed.rows, 3, "cut at \(cut)")
            XCTAssertNotNil(parsed.end, "cut at \(cut)")
        }
        XCTAssertNil(Self.parse([Array(bytes.dropLast())]).end, "no ReadyForQuery yet: not finished")
    }

    func testParserStopsAtAMalformedLength() {
        let bytes = Self.message("d", Array("1,2,3,4\n".utf8)) + [UInt8(ascii: "d"), 0, 0, 0, 2] + Self.answer(rows: [])
        let parsed = Self.parse([bytes])
        XCTAssertEqual(parsed.data, "1,2,3,4\n", "the message before it was read")
        XCTAssertEqual(parsed.error, "a malformed message from the server (length 2)")
        XCTAssertEqual(parsed.end, bytes.count, "nothing after it is read as messages")
    }

    func testParserReportsTheServersErrorWithItsCode() {
        let parsed = Self.parse([Self.failure])
        XCTAssertEqual(parsed.error, "relation \"nope\" does not exist (SQLSTATE 42P01)")
        XCTAssertEqual(parsed.data, "")
        XCTAssertEqual(parsed.end, Self.failure.count)
    }

    func testQueryMessageIsASimpleQuery() {
        let sql = "COPY (SELECT 1) TO STDOUT WITH (FORMAT csv)"
        XCTAssertEqual(Array(CopyOutParser.queryMessage(sql).readableBytesView), Self.message("Q", Self.cString(sql)))
    }

    // MARK: - The handler in a channel

    private func connectedChannel() throws -> (EmbeddedChannel, CopyOutHandler) {
        let channel = EmbeddedChannel()
        let handler = CopyOutHandler()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5432)).wait()
        return (channel, handler)
    }

    private func start(_ handler: CopyOutHandler, on channel: EmbeddedChannel, sql: String = "COPY t TO STDOUT",
                       sink: (@Sendable (ByteBuffer) throws -> Void)? = nil) -> () -> CopyOutHandler.Result? {
        let promise = channel.eventLoop.makePromise(of: CopyOutHandler.Result.self)
        nonisolated(unsafe) var result: CopyOutHandler.Result?
        promise.futureResult.whenSuccess { result = $0 }
        handler.start(sql, sink: sink, promise: promise)
        return { result }
    }

    func testHandlerSendsTheQueryTakesTheAnswerAndThenPassesBytesOn() throws {
        let (channel, handler) = try connectedChannel()
        try channel.writeInbound(ByteBuffer(bytes: [1, 2, 3]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [1, 2, 3]), "idle: passed on")

        let result = start(handler, on: channel, sql: "COPY x TO STDOUT")
        XCTAssertEqual(Array(try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self)).readableBytesView),
                       Self.message("Q", Self.cString("COPY x TO STDOUT")))
        let answer = Self.answer(rows: Self.rows)
        // In three reads cutting through messages, the last one followed by bytes of postgres-nio's next answer.
        try channel.writeInbound(ByteBuffer(bytes: answer[..<7]))
        try channel.writeInbound(ByteBuffer(bytes: answer[7..<40]))
        XCTAssertNil(result(), "not finished before ReadyForQuery")
        try channel.writeInbound(ByteBuffer(bytes: answer[40...] + [9, 9]))
        let done = try XCTUnwrap(result())
        guard case .done = done.outcome else { return XCTFail("\(done.outcome)") }
        XCTAssertEqual(done.rows, 3)
        XCTAssertEqual(String(buffer: done.data), Self.rows.map { $0 + "\n" }.joined())
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [9, 9]),
                       "only the bytes after ReadyForQuery go on")
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        try channel.writeInbound(ByteBuffer(bytes: [4]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [4]))
        _ = try channel.finish()
    }

    func testHandlerHandsLargeAnswersToTheSinkInWholeRows() throws {
        let (channel, handler) = try connectedChannel()
        let rows = (0..<80_000).map { "\($0),\($0 % 977),\(Double($0 % 10) / 2),\(1_000_000 + $0)" }
        final class Pieces: @unchecked Sendable { var list: [String] = [] }
        let pieces = Pieces()
        let result = start(handler, on: channel) { pieces.list.append(String(buffer: $0)) }
        _ = try channel.readOutbound(as: ByteBuffer.self)
        let answer = Self.answer(rows: rows)
        for start in stride(from: 0, to: answer.count, by: 65_536) {
            try channel.writeInbound(ByteBuffer(bytes: answer[start..<min(start + 65_536, answer.count)]))
        }
        let done = try XCTUnwrap(result())
        XCTAssertEqual(done.rows, 80_000)
        XCTAssertEqual(done.data.readableBytes, 0, "with a sink, everything went to the sink")
        XCTAssertGreaterThan(pieces.list.count, 1)
        XCTAssertTrue(pieces.list.allSatisfy { $0.hasSuffix("\n") }, "pieces end with whole rows")
        XCTAssertEqual(pieces.list.joined(), rows.map { $0 + "\n" }.joined())
        _ = try channel.finish()
    }

    func testHandlerReportsServerAndSinkErrorsAfterTheAnswerEnds() throws {
        let (channel, handler) = try connectedChannel()
        let failed = start(handler, on: channel)
        try channel.writeInbound(ByteBuffer(bytes: Self.failure))
        guard case .serverError(let message) = try XCTUnwrap(failed()).outcome else { return XCTFail("no error") }
        XCTAssertEqual(message, "relation \"nope\" does not exist (SQLSTATE 42P01)")

        struct Full: Error {}
        let sunk = start(handler, on: channel) { _ in throw Full() }
        let rows = (0..<30_000).map { "\($0),1,2,3" }
        try channel.writeInbound(ByteBuffer(bytes: Self.answer(rows: rows)))
        let outcome = try XCTUnwrap(sunk()).outcome
        guard case .sinkError(let error) = outcome, error is Full else { return XCTFail("\(outcome)") }
        try channel.writeInbound(ByteBuffer(bytes: [5]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(bytes: [5]), "the answer was read to its end")
        _ = try channel.finish()
    }

    func testHandlerFailsACopyWhenTheConnectionCloses() throws {
        let (channel, handler) = try connectedChannel()
        let result = start(handler, on: channel)
        try channel.writeInbound(ByteBuffer(bytes: Array(Self.answer(rows: Self.rows).prefix(30))))
        channel.pipeline.fireChannelInactive()
        guard case .serverError(let message) = try XCTUnwrap(result()).outcome else { return XCTFail("no failure") }
        XCTAssertEqual(message, "the server closed the connection")
    }
}
