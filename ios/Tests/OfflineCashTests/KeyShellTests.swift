// The key shells against the real core: KeychainKeyWrapper wraps every suite's SoftwareKey and
// refuses tampering and other keys with typed errors; SecureEnclaveSigner passes checkSigner
// (skipped where there is no Secure Enclave); the Keychain helper persists what it is given
// (skipped where an unsigned test process has no data-protection keychain). Apple-only
// (CryptoKit); the Linux run compiles none of it.
#if canImport(CryptoKit)
import CryptoKit
import Foundation
import OfflineCash
import XCTest

final class KeyShellTests: XCTestCase {
    private let suites: [Suite] = [.ecdsaP256, .mlDsa44, .compositeMlDsa44EcdsaP256]

    func testKeychainWrapperRoundTripsEverySuite() throws {
        let wrapper = KeychainKeyWrapper(key: SymmetricKey(size: .bits256))
        for suite in suites {
            let key = try SoftwareKey.generate(suite: suite)
            let blob = try key.wrap(wrapper: wrapper)
            let restored = try SoftwareKey.unwrap(wrapped: blob, wrapper: wrapper)
            XCTAssertEqual(restored.walletId(), key.walletId(), "\(suite)")
            XCTAssertEqual(restored.publicKey(), key.publicKey(), "\(suite)")
        }
    }

    func testAnotherWrappingKeyIsAKeyWrapError() throws {
        let blob = try SoftwareKey.generate(suite: .mlDsa44)
            .wrap(wrapper: KeychainKeyWrapper(key: SymmetricKey(size: .bits256)))
        let other = KeychainKeyWrapper(key: SymmetricKey(size: .bits256))
        XCTAssertThrowsError(try SoftwareKey.unwrap(wrapped: blob, wrapper: other)) { error in
            guard case OfflineCashError.KeyWrap = error else {
                return XCTFail("expected OfflineCashError.KeyWrap, got \(error)")
            }
        }
    }

    func testWrapperRejectsAlteredAndShortCiphertexts() throws {
        let wrapper = KeychainKeyWrapper(key: SymmetricKey(size: .bits256))
        let sealed = try wrapper.wrap(secret: Data(repeating: 7, count: 32))
        XCTAssertEqual(sealed.count, 12 + 32 + 16) // nonce ‖ ciphertext ‖ tag
        XCTAssertEqual(try wrapper.unwrap(wrapped: sealed), Data(repeating: 7, count: 32))
        for index in [0, 12, sealed.count - 1] {
            var altered = sealed
            altered[altered.startIndex + index] ^= 0x01
            XCTAssertThrowsError(try wrapper.unwrap(wrapped: altered)) { error in
                guard case KeyWrapperError.Failed = error else {
                    return XCTFail("byte \(index): expected KeyWrapperError.Failed, got \(error)")
                }
            }
        }
        XCTAssertThrowsError(try wrapper.unwrap(wrapped: Data([1, 2, 3])))
    }

    func testGarbageBlobIsMalformed() throws {
        let wrapper = KeychainKeyWrapper(key: SymmetricKey(size: .bits256))
        XCTAssertThrowsError(try SoftwareKey.unwrap(wrapped: Data("not a key".utf8), wrapper: wrapper)) { error in
            guard case OfflineCashError.Malformed = error else {
                return XCTFail("expected OfflineCashError.Malformed, got \(error)")
            }
        }
    }

    func testSecureEnclaveSignerPassesCheckSigner() throws {
        try XCTSkipUnless(SecureEnclaveSigner.isAvailable, "no Secure Enclave on this machine")
        let signer = SecureEnclaveSigner(key: try SecureEnclave.P256.Signing.PrivateKey())
        XCTAssertEqual(try signer.publicKey().count, 65)
        let report = try checkSigner(signer: signer)
        XCTAssertEqual(report.suite, .ecdsaP256)
        XCTAssertEqual(report.walletId.count, 64)
        XCTAssertEqual(report.publicKey.count, 33)
    }

    func testSignerWithAnotherKeyIsRefused() throws {
        try XCTSkipUnless(SecureEnclaveSigner.isAvailable, "no Secure Enclave on this machine")
        let liar = LyingSigner(
            signing: SecureEnclaveSigner(key: try SecureEnclave.P256.Signing.PrivateKey()),
            claiming: SecureEnclaveSigner(key: try SecureEnclave.P256.Signing.PrivateKey())
        )
        XCTAssertThrowsError(try checkSigner(signer: liar)) { error in
            guard case OfflineCashError.Signer = error else {
                return XCTFail("expected OfflineCashError.Signer, got \(error)")
            }
        }
    }

    func testKeychainPersistsTheWrappingKey() throws {
        let keychain = Keychain(service: "org.offlinecash.tests.\(UUID().uuidString)")
        let first: KeychainKeyWrapper
        do {
            first = try KeychainKeyWrapper.loadOrCreate(keychain: keychain)
        } catch KeychainError.addFailed(status: errSecMissingEntitlement),
                KeychainError.readFailed(status: errSecMissingEntitlement) {
            throw XCTSkip("no data-protection keychain for this (unsigned) test process")
        }
        defer { try? keychain.delete(account: "wallet-wrapping-key") }
        let second = try KeychainKeyWrapper.loadOrCreate(keychain: keychain)
        let blob = try first.wrap(secret: Data("secret".utf8))
        XCTAssertEqual(try second.unwrap(wrapped: blob), Data("secret".utf8))
    }
}

/// Signs with one key and reports another.
private final class LyingSigner: Signer, @unchecked Sendable {
    private let signing: Signer
    private let claiming: Signer

    init(signing: Signer, claiming: Signer) {
        self.signing = signing
        self.claiming = claiming
    }

    func publicKey() throws -> Data {
        try claiming.publicKey()
    }

    func sign(message: Data) throws -> Data {
        try signing.sign(message: message)
    }
}
#endif
