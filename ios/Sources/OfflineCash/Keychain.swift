// Keychain: the few generic-password operations the key shells need (store, load, delete one
// secret blob under a service + account), with OSStatus failures as typed errors.
//
//   SecureEnclaveSigner ─┐                     ┌─ kSecClassGenericPassword
//   KeychainKeyWrapper ──┴─► Keychain.load/add ┤  kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
//                                              └─ never synchronised, never in backups
//
// It does not choose what is stored, nor encrypt anything itself: the Keychain does, with the
// device's data-protection keys.
#if canImport(Security)
import Foundation
import Security

/// A Keychain operation that failed, with the `OSStatus` Security returned.
public enum KeychainError: Error, Equatable {
    /// `SecItemAdd` failed (`errSecDuplicateItem` when the item exists already).
    case addFailed(status: OSStatus)
    /// `SecItemCopyMatching` failed with something other than `errSecItemNotFound`.
    case readFailed(status: OSStatus)
    /// `SecItemDelete` failed with something other than `errSecItemNotFound`.
    case deleteFailed(status: OSStatus)
    /// The item exists but holds no data.
    case unexpectedData
}

/// Generic-password items of one service, readable after the first unlock, on this device only.
public struct Keychain: Sendable {
    /// `kSecAttrService` of every item (e.g. "org.offlinecash.keys").
    public let service: String
    /// `kSecAttrAccessGroup`, or nil for the app's default group.
    public let accessGroup: String?

    public init(service: String, accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    private func baseQuery(account: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            // The data-protection keychain on macOS too (iOS has no other).
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup {
            query[kSecAttrAccessGroup as String] = accessGroup
        }
        return query
    }

    /// The data stored under `account`, or nil when there is none.
    public func load(account: String) throws -> Data? {
        var query = baseQuery(account: account)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data else { throw KeychainError.unexpectedData }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw KeychainError.readFailed(status: status)
        }
    }

    /// Stores `data` under `account`; fails with `errSecDuplicateItem` if something is there.
    public func add(_ data: Data, account: String) throws {
        var query = baseQuery(account: account)
        query[kSecValueData as String] = data
        query[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        query[kSecAttrSynchronizable as String] = false
        let status = SecItemAdd(query as CFDictionary, nil)
        guard status == errSecSuccess else { throw KeychainError.addFailed(status: status) }
    }

    /// Removes the item under `account`, if any.
    public func delete(account: String) throws {
        let status = SecItemDelete(baseQuery(account: account) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainError.deleteFailed(status: status)
        }
    }
}
#endif
