import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file, unmapped on deinit. Immutable, so chunks of it may be read from
/// several threads.
final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with (used in error messages).
    let path: String
    /// The file's bytes; empty for an empty file.
    let bytes: UnsafeBufferPointer<UInt8>

    /// Maps `path`, throwing ``StoreError`` `.fileNotFound` / `.unreadableFile` with the system's reason.
    init(path: String) throws {
        self.path = path
        ownsCopy = false
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT {
                throw StoreError(.fileNotFound, file: path, reason: "no such file")
            }
            throw StoreError(.unreadableFile, file: path, reason: "cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw StoreError(.unreadableFile, file: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError(.unreadableFile, file: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw StoreError(.unreadableFile, file: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        _ = madvise(base, size, MADV_SEQUENTIAL)
        bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
    }

    /// Whether ``bytes`` is a copy in allocated memory (``init(path:copying:)``) rather than a mapping.
    private let ownsCopy: Bool

    /// A file held in memory under the name `path` (tests and fuzzing: no file system round trip).
    init(path: String, copying contents: [UInt8]) {
        self.path = path
        ownsCopy = true
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: max(contents.count, 1))
        storage.initialize(from: contents, count: contents.count)
        bytes = UnsafeBufferPointer(start: contents.isEmpty ? nil : storage, count: contents.count)
        if contents.isEmpty { storage.deallocate() }
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if ownsCopy {
            UnsafeMutablePointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// A 64-bit FNV-1a checksum of the file, taken over little-endian 64-bit words (then the tail bytes),
    /// printed as 16 hex digits: `h = (h XOR word) * 0x100000001b3`, starting at `0xcbf29ce484222325`.
    func checksum() -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        guard let base = bytes.baseAddress else { return String(format: "%016llx", hash) }
        let words = bytes.count / 8
        let raw = UnsafeRawPointer(base)
        for index in 0..<words {
            hash = (hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))) &* prime
        }
        for index in (words * 8)..<bytes.count { hash = (hash ^ UInt64(base[index])) &* prime }
        return String(format: "%016llx", hash)
    }
}
