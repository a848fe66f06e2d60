// OfflineCashNFC: the constants both NFC shells and the app's configuration share
// (docs/nfc-binding.md section 3). scripts/check.py checks the plists in ios/Config against
// these values.
import Foundation

/// Identifiers of the Offline Cash NFC binding, version 1.
public enum OfflineCashNFC {
    /// The application identifier, `F0 4F 43 41 53 48 01` ("OCASH", binding version 1), as
    /// Core NFC's plists spell it (upper-case hex, no spaces).
    public static let aidHex = "F04F4341534801"

    /// The AID bytes.
    public static let aid = Data([0xF0, 0x4F, 0x43, 0x41, 0x53, 0x48, 0x01])

    /// Info.plist: why the app uses NFC (required for any reader session).
    public static let readerUsageDescriptionKey = "NFCReaderUsageDescription"
    /// Info.plist: AIDs the reader session may SELECT on discovery (must contain `aidHex`).
    public static let readerSelectIdentifiersKey = "com.apple.developer.nfc.readersession.iso7816.select-identifiers"
    /// Entitlement: tag formats the reader may read (must contain "TAG").
    public static let readerFormatsEntitlement = "com.apple.developer.nfc.readersession.formats"
    /// Entitlement: host card emulation (granted by Apple on request, per region).
    public static let hceEntitlement = "com.apple.developer.nfc.hce"
    /// Entitlement / Info.plist: AIDs (or prefixes) the card session answers SELECT for.
    public static let hceSelectPrefixesKey = "com.apple.developer.nfc.hce.iso7816.select-identifier-prefixes"
}
