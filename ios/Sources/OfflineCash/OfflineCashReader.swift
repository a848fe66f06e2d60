// OfflineCashReader: the reader role on an iPhone, Core NFC's NFCTagReaderSession driving the
// core's ReaderSession (docs/nfc-binding.md; docs/API.md). All payment logic is in the core:
// this class only moves bytes and turns every way the link can end into `torn()`.
//
//   begin() ─► NFCTagReaderSession(.iso14443) ─► didDetect .iso7816(tag) ─► connect(to:)
//                                                                  │
//      ┌──────────── core.start() = SELECT ◄───────────────────────┘
//      ▼
//   NFCISO7816APDU(data: command) ─► tag.sendCommand ─► data ‖ SW1 ‖ SW2
//      ▲                                                      │
//      └── .transmit(next) ◄── core.handleResponse(response:) ◄┘ ── .done ─► success
//
//   timeout (60 s), user cancel, tag lost, any transceive error ─► core.torn() ─► .torn
//
// On a tear the core keeps the payment (the payer's spend stays pending, see
// docs/nfc-binding.md section 8): call `begin()` again to retry. Every `begin()` takes a fresh
// core session from `makeCore` (see CoreRoles.swift: a torn session cannot resume); the payer
// resends its pending payment and the payee answers a repeated payment with the same receipt.
//
// Threading: every Core NFC callback and every core call run on one private serial queue;
// `completion` is called on that queue, exactly once per `begin()`.
//
// Not done here: UI beyond the system sheet's alert message; choosing payer or payee (the app
// builds the core ReaderSession for its role and hands it in).
#if os(iOS) && canImport(CoreNFC)
import CoreNFC
import Foundation

/// Why a reader run ended without completing the payment.
public enum OfflineCashReaderError: Error {
    /// This device cannot read NFC (`NFCTagReaderSession.readingAvailable` is false).
    case nfcUnavailable
    /// The phones were separated, the session timed out (60 s) or the user cancelled: the
    /// core was told (`torn()`); `begin()` again to retry. `reason` is Core NFC's error.
    case torn(reason: Error)
    /// The core refused the exchange (a typed `OfflineCashError`: rejected payment, malformed
    /// card answer, …). The card was told nothing more; show `error` to the user.
    case core(OfflineCashError)
    /// The core produced a command Core NFC cannot represent (a bug: reported, not crashed).
    case invalidCommand(Data)
    /// `begin()` was called while this reader was already running.
    case busy
}

/// Drives payments as NFC reader, one tap per `begin()`. Keep a strong reference while it runs.
public final class OfflineCashReader: NSObject, NFCTagReaderSessionDelegate {
    private let makeCore: () throws -> ApduReaderCore
    private var core: ApduReaderCore?
    private let queue = DispatchQueue(label: "org.offlinecash.reader")
    private var session: NFCTagReaderSession?
    private var completion: ((Result<Void, OfflineCashReaderError>) -> Void)?

    /// Messages shown on the system NFC sheet.
    public var scanningMessage = "Hold the other phone near the top of this iPhone."
    public var doneMessage = "Done."

    /// A reader whose taps each use a new core session from `makeCore`: typically
    /// `{ try wallet.readerSession(role: .payer, amount: nil, extendedLengthSupported: false,
    /// maxTransceiveLength: 261) }`. It is called on the reader's queue at each `begin()`.
    public init(makeCore: @escaping () throws -> ApduReaderCore) {
        self.makeCore = makeCore
        super.init()
    }

    /// Whether this device can act as reader.
    public static var isAvailable: Bool { NFCTagReaderSession.readingAvailable }

    /// Starts a tap (or, after a tear, the retry) with a new core session. `completion` runs
    /// once, on a private queue: `.success` when the core reports the payment done on this side.
    public func begin(completion: @escaping (Result<Void, OfflineCashReaderError>) -> Void) {
        queue.async { [self] in
            guard NFCTagReaderSession.readingAvailable else {
                completion(.failure(.nfcUnavailable))
                return
            }
            guard self.completion == nil else {
                completion(.failure(.busy))
                return
            }
            guard let session = NFCTagReaderSession(pollingOption: .iso14443, delegate: self, queue: queue) else {
                completion(.failure(.nfcUnavailable))
                return
            }
            do {
                core = try makeCore()
            } catch {
                completion(.failure((error as? OfflineCashError).map(OfflineCashReaderError.core)
                    ?? .torn(reason: error)))
                return
            }
            self.completion = completion
            self.session = session
            session.alertMessage = scanningMessage
            session.begin()
        }
    }

    /// Ends the session as a tear (the user left the payment screen).
    public func cancel() {
        queue.async { [self] in
            session?.invalidate()
        }
    }

    // MARK: NFCTagReaderSessionDelegate

    public func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    public func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: Error) {
        // Also called after our own invalidate(); finish() has then already run.
        // readerSessionInvalidationErrorSessionTimeout (60 s), ...UserCanceled, ...SystemIsBusy,
        // readerTransceiveErrorTagConnectionLost: for the payment they are all a tear.
        tear(reason: error)
    }

    public func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        guard tags.count == 1, let tag = tags.first, case let .iso7816(iso) = tag else {
            session.alertMessage = "Hold only the other phone near this iPhone."
            session.restartPolling()
            return
        }
        session.connect(to: tag) { [self] error in
            if let error {
                tear(reason: error)
                return
            }
            guard let core else { return }
            do {
                transmit(try core.firstCommand(), to: iso)
            } catch {
                fail(coreError: error)
            }
        }
    }

    // MARK: the exchange

    private func transmit(_ command: Data, to tag: NFCISO7816Tag) {
        guard let core else { return }
        guard let apdu = NFCISO7816APDU(data: command) else {
            core.linkLost()
            finish(.failure(.invalidCommand(command)), sessionMessage: "Payment failed.")
            return
        }
        tag.sendCommand(apdu: apdu) { [self] data, sw1, sw2, error in
            if let error {
                tear(reason: error)
                return
            }
            var response = data
            response.append(sw1)
            response.append(sw2)
            do {
                if let next = try core.nextCommand(response: response) {
                    transmit(next, to: tag)
                } else {
                    finish(.success(()), sessionMessage: nil)
                }
            } catch {
                fail(coreError: error)
            }
        }
    }

    private func tear(reason: Error) {
        guard completion != nil else { return }
        core?.linkLost()
        finish(.failure(.torn(reason: reason)), sessionMessage: "Connection lost. Try again.")
    }

    private func fail(coreError error: Error) {
        let typed = (error as? OfflineCashError).map(OfflineCashReaderError.core)
            ?? .torn(reason: error)
        if case .torn = typed { core?.linkLost() }
        finish(.failure(typed), sessionMessage: "Payment failed.")
    }

    /// Calls the completion once and closes the system sheet.
    private func finish(_ result: Result<Void, OfflineCashReaderError>, sessionMessage: String?) {
        guard let completion else { return }
        self.completion = nil
        let session = self.session
        self.session = nil
        core = nil
        if let sessionMessage {
            session?.invalidate(errorMessage: sessionMessage)
        } else {
            session?.alertMessage = doneMessage
            session?.invalidate()
        }
        completion(result)
    }
}
#endif
