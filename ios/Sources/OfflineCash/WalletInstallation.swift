// WalletInstallation: what to do at launch with the Keychain's signing key and the wallet
// database, which do not share a lifetime on iOS.
//
//   Keychain key | database | decision
//   -------------+----------+--------------------------------------------------------------
//   no           | no       | .createWallet            first install
//   yes          | yes      | .openWallet              normal launch (the core checks that the
//                |          |                          key is the database's: Signer error if not)
//   yes          | no       | .replaceStaleKey         REINSTALL: Keychain items survive deleting
//                |          |                          the app, the database does not. The old key's
//                |          |                          wallet has spent notes and a counter this fresh
//                |          |                          database does not know: reusing the key would
//                |          |                          make honest payments look like double spends.
//                |          |                          Delete the key, create a new one, register.
//   no           | yes      | .setAsideDatabase        the key is gone (Keychain reset, restored
//                |          |                          elsewhere): nothing can sign for it; move the
//                |          |                          database aside (kept), start a new wallet
//
// Platform-independent (tested on Linux); applying the decision is the app's (Keychain,
// SecureEnclaveSigner, WalletFiles).
import Foundation

/// What the app does at launch with its signing key and wallet database.
public enum WalletInstallation: Equatable, Sendable {
    /// Neither exists: create a key, then the wallet, then register it.
    case createWallet
    /// Both exist: open the wallet with the key.
    case openWallet
    /// A key from a previous installation next to no database: delete that key, then as
    /// `.createWallet`.
    case replaceStaleKey
    /// A database without its key: move the database aside (`WalletFiles.setAside`), then as
    /// `.createWallet`.
    case setAsideDatabase

    /// The decision for what is present at launch.
    public static func decide(keyInKeychain: Bool, databaseExists: Bool) -> WalletInstallation {
        switch (keyInKeychain, databaseExists) {
        case (false, false): return .createWallet
        case (true, true): return .openWallet
        case (true, false): return .replaceStaleKey
        case (false, true): return .setAsideDatabase
        }
    }

    /// Whether a new key is created (and the new wallet must register with the issuer).
    public var createsKey: Bool {
        self != .openWallet
    }
}
