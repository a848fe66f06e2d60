// KeychainKeyWrapper: the core's `KeyWrapper` (docs/API.md, "Software keys wrapped by the
// app"): AES-256-GCM under a SymmetricKey kept in the Keychain.
//
//   core ──wrap(secret)────► AES.GCM.seal ──► nonce ‖ ciphertext ‖ tag (combined, 28 + n bytes)
//   core ◄─unwrap(wrapped)── AES.GCM.open ◄──┘         (any change: KeyWrapperError.Failed)
//                 ▲
//        SymmetricKey (32 bytes): Keychain, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
//
// Choice: AES-GCM with a Keychain key, not SecKey ECIES with a Secure Enclave key.
// - Both bind the wrapped secret to this device: a ThisDeviceOnly Keychain item is encrypted
//   with the device's hardware UID key and is never in backups or iCloud.
// - The wrapped secret (an ML-DSA-44 or composite key) must be in process memory to sign
//   anyway, so an Enclave-held wrapping key would protect only the file at rest, which the
//   Keychain item already does.
// - AES-GCM works the same on the simulator, on every Mac (so `swift test` exercises it) and on
//   Android (Keystore AES-GCM), and costs microseconds; ECIES needs a Secure Enclave and one
//   Enclave operation per unwrap.
// Use ECIES (kSecKeyAlgorithmECIESEncryptionCofactorVariableIVX963SHA256AESGCM) instead if
// the wrapping key must be non-extractable even from a compromised, unlocked device.
#if canImport(CryptoKit)
import CryptoKit
import Foundation

/// Wraps software keys with AES-256-GCM. Thread-safe (immutable).
public final class KeychainKeyWrapper: KeyWrapper, @unchecked Sendable {
    private let key: SymmetricKey

    /// Wraps with `key` (tests; normally use `loadOrCreate`).
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Loads the wrapping key stored under `account`, or creates a random 256-bit key there.
    public static func loadOrCreate(
        keychain: Keychain,
        account: String = "wallet-wrapping-key"
    ) throws -> KeychainKeyWrapper {
        if let raw = try keychain.load(account: account) {
            guard raw.count == 32 else { throw KeychainError.unexpectedData }
            return KeychainKeyWrapper(key: SymmetricKey(data: raw))
        }
        let key = SymmetricKey(size: .bits256)
        try keychain.add(key.withUnsafeBytes { Data($0) }, account: account)
        return KeychainKeyWrapper(key: key)
    }

    // MARK: KeyWrapper

    public func wrap(secret: Data) throws -> Data {
        do {
            // A fresh random 96-bit nonce per call; `combined` is nonce ‖ ciphertext ‖ tag.
            guard let combined = try AES.GCM.seal(secret, using: key).combined else {
                throw KeyWrapperError.Failed(detail: "AES-GCM produced no combined box")
            }
            return combined
        } catch let error as KeyWrapperError {
            throw error
        } catch {
            throw KeyWrapperError.Failed(detail: "AES-GCM seal failed: \(error)")
        }
    }

    public func unwrap(wrapped: Data) throws -> Data {
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            return try AES.GCM.open(box, using: key)
        } catch {
            // Too short, altered, or another key: the core reports OfflineCashError.KeyWrap.
            throw KeyWrapperError.Failed(detail: "AES-GCM open failed: \(error)")
        }
    }
}
#endif
