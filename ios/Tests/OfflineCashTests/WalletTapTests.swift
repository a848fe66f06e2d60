// Two real wallets (registered and funded by a real issuer, IssuerFixture) paying each other
// through byte arrays only: every command from the reader's core session goes to the card's
// `CardSession.processApdu`, every answer back to `ReaderSession.handleResponse`, through the
// same CoreRoles adapters the Core NFC shells use. Mirrors core/tests/wallet_taps.rs and the
// Android scenarios: both roles, a tear at every command (before and after the card answered)
// with a retry on new sessions (the payee's for the same request), typed errors, and garbage APDUs answered by status words.
//
//   reader (ApduReaderCore) ──command bytes──► card (ApduCardCore)
//                           ◄─response bytes──
import Foundation
import OfflineCash
import XCTest

#if os(macOS) || os(Linux)
/// Where the field is cut: before command `atCommand` reaches the card, or after the card
/// answered it (the answer is lost).
struct Tear {
    let atCommand: Int
    let afterCardAnswered: Bool
}

enum TapOutcome: Equatable {
    case done(commands: Int)
    case torn
}

/// Carries bytes between the two core sessions as the NFC field would.
func carry(reader: ApduReaderCore, card: ApduCardCore, tear: Tear? = nil) throws -> TapOutcome {
    var command = try reader.firstCommand()
    var sent = 0
    while true {
        if let tear, tear.atCommand == sent, !tear.afterCardAnswered {
            reader.linkLost()
            card.linkLost()
            return .torn
        }
        let response = card.response(to: command)
        if let tear, tear.atCommand == sent {
            reader.linkLost()
            card.linkLost()
            return .torn
        }
        sent += 1
        guard let next = try reader.nextCommand(response: response) else {
            return .done(commands: sent)
        }
        command = next
    }
}

enum CardSide: CaseIterable {
    case payeeIsCard
    case payerIsCard
}

/// New core sessions for one tap, short APDUs (the lowest common denominator of phones).
func sessions(payer: Wallet, payee: Wallet, amount: UInt64, card: CardSide) throws
    -> (reader: ApduReaderCore, card: ApduCardCore)
{
    switch card {
    case .payeeIsCard:
        return (
            try payer.readerSession(role: .payer, amount: nil, extendedLengthSupported: false, maxTransceiveLength: 261),
            try payee.cardSession(role: .payee, amount: amount, extendedLength: false)
        )
    case .payerIsCard:
        return (
            try payee.readerSession(role: .payee, amount: amount, extendedLengthSupported: false, maxTransceiveLength: 261),
            // A paying card is armed with the most its user confirmed.
            try payer.cardSession(role: .payer, amount: amount, extendedLength: false)
        )
    }
}

/// The sessions of a retry after a tear: the payee receives for the torn tap's request again
/// (`nonce`), since a payer resends a pending payment only for the request it answers.
func sessionsAgain(payer: Wallet, payee: Wallet, nonce: Data, card: CardSide) throws
    -> (reader: ApduReaderCore, card: ApduCardCore)
{
    switch card {
    case .payeeIsCard:
        return (
            try payer.readerSession(role: .payer, amount: nil, extendedLengthSupported: false, maxTransceiveLength: 261),
            try payee.cardSessionAgain(nonce: nonce, extendedLength: false)
        )
    case .payerIsCard:
        return (
            try payee.readerSessionAgain(nonce: nonce, extendedLengthSupported: false, maxTransceiveLength: 261),
            // The user confirmed this payment before; the retry finishes it.
            try payer.cardSession(role: .payer, amount: UInt64.max, extendedLength: false)
        )
    }
}

/// The request nonce of the payee's session of a tap.
func payeeNonce(reader: ApduReaderCore, card: ApduCardCore, side: CardSide) -> Data? {
    switch side {
    case .payeeIsCard: return (card as? CardSession)?.requestNonce()
    case .payerIsCard: return (reader as? ReaderSession)?.requestNonce()
    }
}

/// A transceiver that forwards to the card, blocking at command `blockAt` until released.
final class BlockingTransceiver: Transceiver, @unchecked Sendable {
    private let card: ApduCardCore
    private let blockAt: Int
    private var count = 0
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    init(card: ApduCardCore, blockAt: Int) {
        self.card = card
        self.blockAt = blockAt
    }

    func transceive(apdu: Data) throws -> Data {
        count += 1
        if count == blockAt {
            entered.signal()
            release.wait()
        }
        return card.response(to: apdu)
    }
}

final class WalletTapTests: XCTestCase {
    private var issuer: IssuerFixture?

    override func setUp() async throws {
        issuer = try await IssuerFixture.start()
    }

    override func tearDown() async throws {
        issuer?.stop()
    }

    private func pair(_ funds: [UInt64]) async throws -> (payer: Wallet, payee: Wallet) {
        let issuer = try XCTUnwrap(issuer)
        let payer = try await issuer.wallet("payer", funds: funds)
        let payee = try await issuer.wallet("payee")
        return (payer, payee)
    }

    func testBothRolesPayThroughByteArraysAndTheValueCanBePaidOn() async throws {
        for side in CardSide.allCases {
            let (a, b) = try await pair([1_000])
            let (reader, card) = try sessions(payer: a, payee: b, amount: 300, card: side)
            guard case let .done(commands) = try carry(reader: reader, card: card) else {
                return XCTFail("\(side): not completed")
            }
            XCTAssertGreaterThanOrEqual(commands, 3, "\(side): SELECT and two round trips")
            XCTAssertTrue(card.paymentFinished, "\(side)")
            XCTAssertEqual(try a.balance().spendable, 700, "\(side)")
            XCTAssertEqual(try a.balance().pending, 0, "\(side)")
            XCTAssertEqual(try b.balance().spendable, 300, "\(side)")

            // The payee now holds value received offline and pays it back, roles swapped.
            let back = try sessions(payer: b, payee: a, amount: 300, card: side)
            XCTAssertNotEqual(try carry(reader: back.reader, card: back.card), .torn, "\(side) back")
            XCTAssertEqual(try a.balance().spendable, 1_000, "\(side)")
            XCTAssertEqual(try b.balance().total, 0, "\(side)")
        }
    }

    func testTornTapAtEveryCommandThenRetryPaysExactlyOnce() async throws {
        for side in CardSide.allCases {
            let (a0, b0) = try await pair([1_000])
            let full = try sessions(payer: a0, payee: b0, amount: 250, card: side)
            guard case let .done(commands) = try carry(reader: full.reader, card: full.card) else {
                return XCTFail("\(side): the untorn tap did not complete")
            }
            for at in 0..<commands {
                for afterCardAnswered in [false, true] {
                    let label = "\(side) tear at command \(at), after answer: \(afterCardAnswered)"
                    let (a, b) = try await pair([1_000])
                    let first = try sessions(payer: a, payee: b, amount: 250, card: side)
                    let tear = Tear(atCommand: at, afterCardAnswered: afterCardAnswered)
                    XCTAssertEqual(try carry(reader: first.reader, card: first.card, tear: tear), .torn, label)

                    // Nothing lost or created: value the payee holds is no longer the payer's pending.
                    let (ab, bb) = (try a.balance(), try b.balance())
                    let inFlight = bb.spendable == 0 ? ab.pending : 0
                    XCTAssertEqual(ab.spendable + inFlight + bb.spendable, 1_000, label)

                    // Tap again with new sessions, the payee's for the same request, unless both
                    // sides had already finished.
                    if !(bb.spendable == 250 && ab.pending == 0) {
                        let nonce = try XCTUnwrap(payeeNonce(reader: first.reader, card: first.card, side: side), label)
                        let retry = try sessionsAgain(payer: a, payee: b, nonce: nonce, card: side)
                        XCTAssertNotEqual(try carry(reader: retry.reader, card: retry.card), .torn, label)
                    }
                    let (abAfter, bbAfter) = (try a.balance(), try b.balance())
                    XCTAssertEqual(abAfter.spendable, 750, label)
                    XCTAssertEqual(abAfter.pending, 0, label)
                    XCTAssertEqual(bbAfter.spendable, 250, label)
                    XCTAssertTrue(try a.pendingPayments().isEmpty, label)
                }
            }
        }
    }

    func testPayingMoreThanTheBalanceIsATypedErrorAndNothingMoves() async throws {
        let (a, b) = try await pair([100])
        let (reader, card) = try sessions(payer: a, payee: b, amount: 500, card: .payeeIsCard)
        XCTAssertThrowsError(try carry(reader: reader, card: card)) { error in
            guard case OfflineCashError.InsufficientFunds = error else {
                return XCTFail("expected OfflineCashError.InsufficientFunds, got \(error)")
            }
        }
        XCTAssertEqual(try a.balance().spendable, 100)
        XCTAssertEqual(try b.balance().total, 0)
    }

    func testACardPayerThatCannotPayAnswersWithAStatusWordAndTheReaderGetsATypedError() async throws {
        let (a, b) = try await pair([100])
        let payerCard = try a.cardSession(role: .payer, amount: 500, extendedLength: false)
        let payeeReader = try b.readerSession(role: .payee, amount: 500, extendedLengthSupported: false,
                                              maxTransceiveLength: 261)
        XCTAssertThrowsError(try carry(reader: payeeReader, card: payerCard)) { error in
            XCTAssertTrue(error is OfflineCashError, "\(error)")
        }
        XCTAssertNotNil(payerCard.lastError())
        XCTAssertFalse(payerCard.isFinished())
        XCTAssertEqual(try a.balance().spendable, 100)
    }

    func testReceivingWithoutAnAmountIsMisuse() async throws {
        let (_, b) = try await pair([])
        XCTAssertThrowsError(try b.cardSession(role: .payee, amount: nil, extendedLength: false)) { error in
            guard case OfflineCashError.Misuse = error else {
                return XCTFail("expected OfflineCashError.Misuse, got \(error)")
            }
        }
    }

    func testGarbageApdusAreAnsweredWithStatusWordsAndGarbageResponsesAreTypedErrors() async throws {
        let (a, b) = try await pair([1_000])
        let card = try b.cardSession(role: .payee, amount: 100, extendedLength: false)
        func statusWord(_ command: [UInt8]) -> [UInt8] {
            Array(card.processApdu(apdu: Data(command)).suffix(2))
        }
        XCTAssertEqual(statusWord([0x80, 0x10, 0x00, 0x00, 0x00]), [0x69, 0x85], "EXCHANGE before SELECT")
        XCTAssertEqual(statusWord([0xFF, 0x10, 0x00, 0x00]), [0x6E, 0x00], "unknown class")
        XCTAssertEqual(statusWord([0x00]), [0x67, 0x00], "too short")
        XCTAssertEqual(statusWord([0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x00]), [0x6A, 0x82], "another AID")

        let reader = try a.readerSession(role: .payer, amount: nil, extendedLengthSupported: false,
                                         maxTransceiveLength: 261)
        _ = try reader.firstCommand()
        for garbage in [Data(), Data([0x90]), Data(repeating: 0xAB, count: 40)] {
            XCTAssertThrowsError(try reader.nextCommand(response: garbage)) { error in
                XCTAssertTrue(error is OfflineCashError, "\(error)")
            }
        }
        XCTAssertEqual(try a.balance().spendable, 1_000)
    }

    func testTornFromAnotherThreadReturnsWhileRunWaitsInTheTransceiver() async throws {
        let (a, b) = try await pair([1_000])
        let reader = try a.readerSession(role: .payer, amount: nil, extendedLengthSupported: false,
                                         maxTransceiveLength: 261)
        let card = try b.cardSession(role: .payee, amount: 300, extendedLength: false)
        let link = BlockingTransceiver(card: card, blockAt: 2)
        let finished = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox()
        Thread.detachNewThread {
            do {
                try reader.run(transceiver: link)
                outcome.set("completed")
            } catch OfflineCashError.Torn {
                outcome.set("torn")
            } catch {
                outcome.set("\(error)")
            }
            finished.signal()
        }
        XCTAssertTrue(waitFor(link.entered, seconds: 30), "run reached the second transceive")
        let tornReturned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            reader.torn()
            tornReturned.signal()
        }
        let returnedInTime = waitFor(tornReturned, seconds: 10)
        link.release.signal()
        XCTAssertTrue(waitFor(finished, seconds: 30))
        XCTAssertTrue(returnedInTime, "torn() waited for the blocked transceive")
        XCTAssertEqual(outcome.value, "torn")
        XCTAssertEqual(try a.balance().spendable, 1_000)
        XCTAssertEqual(try a.balance().pending, 0)
    }
}
#endif

/// Waits for `semaphore` at most `seconds` (a synchronous helper: async tests may not wait
/// on a semaphore directly).
func waitFor(_ semaphore: DispatchSemaphore, seconds: Double) -> Bool {
    semaphore.wait(timeout: .now() + seconds) == .success
}

/// A string set from another thread.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""
    var value: String {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func set(_ value: String) {
        lock.lock()
        stored = value
        lock.unlock()
    }
}
