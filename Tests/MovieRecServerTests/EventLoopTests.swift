import Foundation
import Hummingbird
import HummingbirdTesting
import MovieRecServer
import MovieRecService
import NIOCore
import Testing

@Suite("movierec serve: event-loop threads")
struct EventLoopTests {
    private func loopCount(_ group: any EventLoopGroup) -> Int {
        var count = 0
        for _ in group.makeIterator() { count += 1 }
        return count
    }

    @Test("one event-loop thread by default, the configured number otherwise, at least one")
    func threadCounts() throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        #expect(ServerConfiguration().eventLoopThreads == 1)
        #expect(ServerConfiguration(eventLoopThreads: 0).eventLoopThreads == 1)
        let single = buildApplication(host: host, configuration: ServerConfiguration(logsRequests: false), policy: ModelPolicy())
        #expect(loopCount(single.eventLoopGroup) == 1)
        let three = ServerConfiguration(logsRequests: false, eventLoopThreads: 3)
        let first = buildApplication(host: host, configuration: three, policy: ModelPolicy())
        let second = buildApplication(host: host, configuration: three, policy: ModelPolicy())
        #expect(loopCount(first.eventLoopGroup) == 3)
        // A server built again reuses the group (no threads left running per build).
        #expect(first.eventLoopGroup === second.eventLoopGroup)
    }

    @Test("a server on one event-loop thread answers 32 connections at once over a real socket")
    func concurrentConnections() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        let app = buildApplication(host: host, configuration: ServerConfiguration(logsRequests: false), policy: ModelPolicy())
        try await app.test(.live) { client in
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for n in 0..<32 {
                    group.addTask {
                        try await client.execute(uri: "/api/v1/users/P\(n % 7 + 1)/recommendations?count=2",
                                                 method: .get) { ($0.status, String(buffer: $0.body)) }
                    }
                }
                var all: [(HTTPResponse.Status, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.count == 32)
            #expect(statuses.allSatisfy { $0.0 == .ok && $0.1.contains("\"recommendations\"") })
        }
    }
}
