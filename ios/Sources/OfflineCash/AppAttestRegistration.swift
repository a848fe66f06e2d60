// AppAttestRegistration: Apple App Attest for a wallet's registration (issue 18), so the issuer
// can tell an attested app on a genuine device from a patched one, and give the wallet the
// tier that proves (issuer/src/attestation/app_attest.rs verifies what this produces).
//
//   issuer ──challenge──► attest(challenge:walletPublicKey:)
//     DCAppAttestService.generateKey() ──► keyId (SHA-256 of the App Attest key)
//     clientDataHash = SHA-256(challenge ‖ walletPublicKey)      (binds the wallet key)
//     DCAppAttestService.attestKey(keyId, clientDataHash) ──► attestation object (CBOR)
//   registration ◄── AppAttestEvidence { attestationObject, keyId }
//
// The wallet key is the Secure Enclave key of SecureEnclaveSigner (`publicKey()`, 65 bytes):
// App Attest's own key is a second Enclave key that App Attest manages; the client data hash
// is what ties the two together. Pass exactly the bytes the registration sends as the wallet
// key. App Attest keys are per install: a new install attests again.
//
// Apple-only (DeviceCheck, CryptoKit): not compiled on Linux.
#if canImport(DeviceCheck) && canImport(CryptoKit)
import CryptoKit
import DeviceCheck
import Foundation

/// What a registration carries from App Attest.
public struct AppAttestEvidence: Sendable, Equatable {
    /// The CBOR attestation object `attestKey` returned.
    public let attestationObject: Data
    /// The App Attest key id (32 bytes, SHA-256 of the App Attest public key).
    public let keyId: Data
}

/// Why `attest` produced no evidence.
public enum AppAttestError: Error, Equatable {
    /// This device or OS has no App Attest (the simulator, older devices): register as a
    /// software wallet (a lower tier).
    case unsupported
    /// The issuer's challenge was empty.
    case emptyChallenge
    /// `generateKey` returned a key id that is not base64.
    case malformedKeyId
}

/// The App Attest step of a registration.
@available(iOS 14.0, macOS 11.0, *)
public struct AppAttestRegistration {
    private let service: DCAppAttestService

    public init(service: DCAppAttestService = .shared) {
        self.service = service
    }

    /// Whether App Attest can run here.
    public var isSupported: Bool { service.isSupported }

    /// The client data hash the issuer expects: SHA-256(challenge ‖ walletPublicKey).
    public static func clientDataHash(challenge: Data, walletPublicKey: Data) -> Data {
        var data = challenge
        data.append(walletPublicKey)
        return Data(SHA256.hash(data: data))
    }

    /// Generates an App Attest key and has Apple attest it over the issuer's `challenge` and
    /// the wallet's public key.
    public func attest(challenge: Data, walletPublicKey: Data) async throws -> AppAttestEvidence {
        guard service.isSupported else { throw AppAttestError.unsupported }
        guard !challenge.isEmpty else { throw AppAttestError.emptyChallenge }
        let keyId = try await service.generateKey()
        guard let keyIdBytes = Data(base64Encoded: keyId) else { throw AppAttestError.malformedKeyId }
        let hash = Self.clientDataHash(challenge: challenge, walletPublicKey: walletPublicKey)
        let object = try await service.attestKey(keyId, clientDataHash: hash)
        return AppAttestEvidence(attestationObject: object, keyId: keyIdBytes)
    }
}
#endif
