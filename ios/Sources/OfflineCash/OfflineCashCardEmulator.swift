// OfflineCashCardEmulator: the card role on an iPhone (iOS 17.4+, host card emulation where
// Apple grants it), Core NFC's CardSession feeding the core's CardSession
// (docs/nfc-binding.md). All payment logic is in the core: this class forwards APDUs.
//
//   CoreNFC.CardSession() ─► eventStream
//     .sessionStarted
//     .readerDetected      ─► startEmulation()            (system card UI appears)
//     .received(apdu)      ─► core.processApdu(apdu.payload) ─► apdu.respond(response:)
//                             (SELECT included: the core answers it with its capabilities)
//                             respond fails with .transmissionError ─► once more; fails again
//                             or otherwise ─► core.linkLost(), a new core session
//                             (CardRespondRetry.swift)
//     .readerDeselected    ─► core.deactivated(); finished ─► stopEmulation(.success), return
//                                                 torn     ─► next tap gets a new core session
//     .sessionInvalidated  ─► core.deactivated(), run() throws
//
// Where card emulation is unavailable (outside the regions where Apple offers it, no
// entitlement, iOS < 17.4, or not eligible) the iPhone takes the reader role instead
// (OfflineCashReader), which works with any Android payer or payee: see ios/README.md.
//
// Not done here: NFCPresentmentIntentAssertion (the app may acquire one to keep other
// contactless apps from taking the field while the payment screen is open).
#if os(iOS) && canImport(CoreNFC) && !targetEnvironment(macCatalyst)
import CoreNFC
import Foundation

/// Whether the card role can run on this device now.
public enum CardEmulationAvailability: Equatable, Sendable {
    /// CardSession can be created.
    case available
    /// Older than iOS 17.4: use the reader role.
    case requiresNewerIOS
    /// No NFC, or the device does not support card sessions.
    case unsupported
    /// Supported, but not eligible here (region, entitlement, account): use the reader role.
    case notEligible
}

/// Checks, in the order Apple documents, whether the card role can run.
public func cardEmulationAvailability() async -> CardEmulationAvailability {
    guard #available(iOS 17.4, *) else { return .requiresNewerIOS }
    guard NFCReaderSession.readingAvailable, CoreNFC.CardSession.isSupported else { return .unsupported }
    // Query isEligible only once isSupported is true (it reports the app's entitlement and
    // the device's region).
    guard await CoreNFC.CardSession.isEligible else { return .notEligible }
    return .available
}

/// Why a card run ended.
public enum OfflineCashCardError: Error {
    /// Card emulation is not available here (see `cardEmulationAvailability()`).
    case unavailable(CardEmulationAvailability)
    /// Core NFC ended the session (user cancel, timeout, radio off, …); the core was told.
    case invalidated(reason: Error)
}

/// Emulates the Offline Cash card for one payment. An actor: APDUs are processed one at a
/// time off the main thread, and `stop(success:)` may be called from anywhere.
@available(iOS 17.4, *)
public actor OfflineCashCardEmulator {
    private let makeCore: @Sendable () throws -> ApduCardCore
    private let alertMessage: String
    private var session: CoreNFC.CardSession?

    /// A card whose taps each use a new core session from `makeCore`: typically
    /// `{ try wallet.cardSession(role: .payee, amount: 300, extendedLength: false) }`.
    /// `alertMessage` is shown on the system card-emulation UI.
    public init(
        makeCore: @escaping @Sendable () throws -> ApduCardCore,
        alertMessage: String = "Hold this iPhone near the other phone."
    ) {
        self.makeCore = makeCore
        self.alertMessage = alertMessage
    }

    /// Runs card emulation until the core reports the payment finished (returns, after
    /// showing success), `stop(success:)` is called (returns), or Core NFC invalidates the
    /// session (throws `OfflineCashCardError.invalidated`). Every APDU is answered by the core.
    /// After a tear emulation continues with a new core session, so the other phone can
    /// simply tap again. Throws the factory's error if it cannot make a session.
    public func run() async throws {
        let availability = await cardEmulationAvailability()
        guard availability == .available else { throw OfflineCashCardError.unavailable(availability) }

        var core = try makeCore()
        let session = try await CoreNFC.CardSession()
        self.session = session
        session.alertMessage = alertMessage
        defer {
            core.linkLost()
            session.invalidate()
            self.session = nil
        }

        for try await event in session.eventStream {
            switch event {
            case .sessionStarted:
                break
            case .readerDetected:
                if !(await session.isEmulationInProgress) {
                    try await session.startEmulation()
                }
            case let .received(apdu):
                let response = core.response(to: apdu.payload)
                // A transmission error is retried once with the same bytes; anything else
                // (or a second failure) is a tear: the core was already acting on the
                // command, so this core session ends and the next tap gets a new one (the
                // payee answers a repeated payment with the same receipt). CardRespondRetry.swift.
                let outcome = await respondRetryingOnce(
                    { try await apdu.respond(response: response) },
                    isTransmissionError: { error in
                        if case CoreNFC.CardSession.Error.transmissionError = error { return true }
                        return false
                    }
                )
                if !outcome.isSent {
                    core.linkLost()
                    core = try makeCore()
                }
            case .readerDeselected:
                core.linkLost()
                if core.paymentFinished {
                    await stop(success: true)
                    return
                }
                // Torn: the retry needs a fresh session (CoreRoles.swift).
                core = try makeCore()
            case let .sessionInvalidated(reason):
                core.linkLost()
                if self.session == nil { return } // stop(success:) invalidated it.
                throw OfflineCashCardError.invalidated(reason: reason)
            @unknown default:
                break
            }
        }
    }

    /// Ends emulation, showing success or failure on the system UI (call it when the app's
    /// wallet reports the payment complete, or when the user leaves the screen).
    public func stop(success: Bool) async {
        guard let session else { return }
        self.session = nil
        if await session.isEmulationInProgress {
            await session.stopEmulation(status: success ? .success : .failure)
        }
        session.invalidate()
    }
}
#endif
