// SecureEnclaveSigner: the wallet's P-256 key held by the Secure Enclave, as the core's
// `Signer` (docs/API.md, "The app's hardware key").
//
//   core ──sign(message)──► SecureEnclaveSigner ──signature(for:)──► Secure Enclave
//        ◄── DER ECDSA ───                      ◄── ECDSASignature ──
//   core ──publicKey()────► x963Representation (65 bytes, 04 ‖ x ‖ y)
//
// The private key never leaves the Enclave. What is persisted (in the Keychain, this device
// only) is CryptoKit's `dataRepresentation`: an opaque blob that only this device's Enclave can
// use. The core hashes nothing: CryptoKit hashes `message` with SHA-256 and returns the
// signature DER-encoded, exactly what the core expects; the core checks every signature
// against `publicKey()`. Call `checkSigner(signer:)` once after creating or restoring the key.
//
// User presence: the default asks for none. With `flags: .userPresence` every signature needs
// an authentication, and a prompt must never appear inside a tap: authenticate before the tap
// with a PresenceGate and pass its `context` as `authenticationContext` (PresenceWindow.swift).
//
// Apple-only (CryptoKit's SecureEnclave): not compiled on Linux.
#if canImport(CryptoKit) && canImport(LocalAuthentication)
import CryptoKit
import Foundation
import LocalAuthentication
import Security

/// The wallet's hardware key. Thread-safe (immutable); signing takes tens to hundreds of
/// milliseconds, so the core should be called off the main thread.
public final class SecureEnclaveSigner: Signer, @unchecked Sendable {
    private let key: SecureEnclave.P256.Signing.PrivateKey

    /// Wraps an existing Enclave key.
    public init(key: SecureEnclave.P256.Signing.PrivateKey) {
        self.key = key
    }

    /// Whether this device has a Secure Enclave (false on the simulator and older Macs).
    public static var isAvailable: Bool { SecureEnclave.isAvailable }

    /// Loads the key stored under `account`, or creates one and stores it.
    ///
    /// - Parameter flags: access-control flags for the key; `.privateKeyUsage` is always added.
    /// - Parameter authenticationContext: with `.userPresence`, a PresenceGate's context,
    ///   evaluated before the tap, so that signing inside the tap does not prompt.
    public static func loadOrCreate(
        keychain: Keychain,
        account: String = "wallet-signing-key",
        flags: SecAccessControlCreateFlags = [],
        authenticationContext: LAContext? = nil
    ) throws -> SecureEnclaveSigner {
        if let blob = try keychain.load(account: account) {
            let key = try SecureEnclave.P256.Signing.PrivateKey(
                dataRepresentation: blob, authenticationContext: authenticationContext)
            return SecureEnclaveSigner(key: key)
        }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil,
            kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            flags.union(.privateKeyUsage),
            &error
        ) else {
            throw error.map { $0.takeRetainedValue() as Error } ?? KeychainError.unexpectedData
        }
        let key = try SecureEnclave.P256.Signing.PrivateKey(
            accessControl: access, authenticationContext: authenticationContext)
        try keychain.add(key.dataRepresentation, account: account)
        return SecureEnclaveSigner(key: key)
    }

    // MARK: Signer

    public func publicKey() throws -> Data {
        key.publicKey.x963Representation
    }

    public func sign(message: Data) throws -> Data {
        do {
            return try key.signature(for: message).derRepresentation
        } catch {
            throw SignerError.Failed(detail: "Secure Enclave signature failed: \(error)")
        }
    }
}
#endif
