// CoreRoles: the two narrow interfaces the NFC shells drive, and the bindings' objects that
// implement them. This is the only file where the shells meet the wallet API of the bindings
// (ReaderSession / CardSession, docs/API.md); ios/scripts/check.py checks these calls against
// the generated Swift.
//
//   OfflineCashReader ──► ApduReaderCore ◄── ReaderSession (bindings): start / handleResponse / torn
//   OfflineCashCardEmulator ──► ApduCardCore ◄── CardSession (bindings): processApdu / deactivated
//
// One core session serves one tap. After a tear the app retries with NEW sessions from the
// wallets (the payer resends its pending payment; the payee answers a repeated payment with
// the same receipt): a session torn after the payment frame cannot resume, because the core's
// payer then expects a receipt and its payee has already consumed the payment. The shells
// therefore take factories and make a fresh session for every tap.
//
// Tests and previews can drive the shells with their own implementations.
import Foundation

/// The reader role as the NFC shell sees it.
public protocol ApduReaderCore: AnyObject, Sendable {
    /// The first command APDU (SELECT); again after a tear.
    func firstCommand() throws -> Data
    /// The next command APDU for the card's `response` (data ‖ SW1 ‖ SW2), or nil when the
    /// payment is complete on this side. Throws `OfflineCashError`.
    func nextCommand(response: Data) throws -> Data?
    /// The link was lost before completion (tear, timeout, cancel).
    func linkLost()
}

/// The card role as the NFC shell sees it.
public protocol ApduCardCore: AnyObject, Sendable {
    /// The response APDU (data ‖ SW1 ‖ SW2) to one command APDU. Never fails: errors are
    /// status words (docs/nfc-binding.md section 7).
    func response(to command: Data) -> Data
    /// The reader deselected us or the field was lost.
    func linkLost()
    /// Whether the payment completed on this side.
    var paymentFinished: Bool { get }
}

extension ReaderSession: ApduReaderCore {
    public func firstCommand() throws -> Data {
        self.start()
    }

    public func nextCommand(response: Data) throws -> Data? {
        switch try self.handleResponse(response: response) {
        case let .transmit(apdu):
            return apdu
        case .done:
            return nil
        }
    }

    public func linkLost() {
        self.torn()
    }
}

extension CardSession: ApduCardCore {
    public func response(to command: Data) -> Data {
        self.processApdu(apdu: command)
    }

    public func linkLost() {
        self.deactivated()
    }

    public var paymentFinished: Bool {
        self.isFinished()
    }
}
