// The key wrapper of the wallet tests: KeychainKeyWrapper with a random key where CryptoKit
// exists, elsewhere (Linux) a test-only wrapper that binds the blob to a random pad and a tag.
// It protects nothing: tests only.
import Foundation
import OfflineCash
#if canImport(CryptoKit)
import CryptoKit
#endif

func testKeyWrapper() -> KeyWrapper {
    #if canImport(CryptoKit)
    return KeychainKeyWrapper(key: SymmetricKey(size: .bits256))
    #else
    return PadKeyWrapper()
    #endif
}

/// XORs the secret with a random pad and prefixes a per-wrapper tag; refuses other blobs.
final class PadKeyWrapper: KeyWrapper, @unchecked Sendable {
    private let tag = Data((0..<8).map { _ in UInt8.random(in: 0...255) })
    private let pad = (0..<4096).map { _ in UInt8.random(in: 0...255) }

    func wrap(secret: Data) throws -> Data {
        guard secret.count <= pad.count else { throw KeyWrapperError.Failed(detail: "secret too long") }
        return tag + Data(secret.enumerated().map { $0.element ^ pad[$0.offset] })
    }

    func unwrap(wrapped: Data) throws -> Data {
        guard wrapped.count >= tag.count, wrapped.prefix(tag.count) == tag else {
            throw KeyWrapperError.Failed(detail: "not wrapped by this wrapper")
        }
        return Data(wrapped.dropFirst(tag.count).enumerated().map { $0.element ^ pad[$0.offset] })
    }
}
