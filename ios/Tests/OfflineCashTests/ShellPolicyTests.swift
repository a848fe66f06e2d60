// The platform-independent decisions of the iOS shells, run on Linux and on a Mac: which files
// stay out of backups, what a launch does with a stale Keychain key, how a failed card response
// is retried, and when to authenticate before a tap.
import Foundation
import OfflineCash
import XCTest

final class WalletFilesTests: XCTestCase {
    func testTheDatabaseItsWalAndShmAndItsDirectoryAreExcludedFromBackup() {
        let files = WalletFiles(database: URL(fileURLWithPath: "/data/OfflineCash/wallet.db"))
        XCTAssertEqual(files.backupExcluded.map(\.path), [
            "/data/OfflineCash",
            "/data/OfflineCash/wallet.db",
            "/data/OfflineCash/wallet.db-wal",
            "/data/OfflineCash/wallet.db-shm",
            "/data/OfflineCash/wallet.db-journal",
        ])
    }

    func testSetAsideKeepsEveryExistingFileUnderAStampedName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oc-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = WalletFiles(database: dir.appendingPathComponent("wallet.db"))
        try Data("db".utf8).write(to: files.database)
        try Data("wal".utf8).write(to: URL(fileURLWithPath: files.database.path + "-wal"))
        XCTAssertTrue(files.databaseExists())

        try files.setAside(stamp: 1_700_000_000)
        XCTAssertFalse(files.databaseExists())
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(kept, ["wallet.db-wal.orphaned-1700000000", "wallet.db.orphaned-1700000000"])
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("wallet.db.orphaned-1700000000")), Data("db".utf8))
    }
}

final class WalletInstallationTests: XCTestCase {
    func testAReinstallWithTheOldKeyInTheKeychainReplacesTheKey() {
        XCTAssertEqual(WalletInstallation.decide(keyInKeychain: true, databaseExists: false), .replaceStaleKey)
        XCTAssertTrue(WalletInstallation.replaceStaleKey.createsKey)
    }

    func testEveryCombination() {
        XCTAssertEqual(WalletInstallation.decide(keyInKeychain: false, databaseExists: false), .createWallet)
        XCTAssertEqual(WalletInstallation.decide(keyInKeychain: true, databaseExists: true), .openWallet)
        XCTAssertEqual(WalletInstallation.decide(keyInKeychain: false, databaseExists: true), .setAsideDatabase)
        XCTAssertFalse(WalletInstallation.openWallet.createsKey)
        XCTAssertTrue(WalletInstallation.setAsideDatabase.createsKey)
    }
}

private enum FakeNFCError: Error {
    case transmission
    case readerGone
}

/// Counts sends and fails the first `failures` of them with `error`.
private final class FakeResponder: @unchecked Sendable {
    var sends = 0
    let failures: Int
    let error: FakeNFCError

    init(failures: Int, error: FakeNFCError = .transmission) {
        self.failures = failures
        self.error = error
    }

    func send() async throws {
        sends += 1
        if sends <= failures { throw error }
    }
}

private func isTransmission(_ error: Error) -> Bool {
    if case FakeNFCError.transmission = error { return true }
    return false
}

final class CardRespondRetryTests: XCTestCase {
    func testSentAtOnce() async {
        let r = FakeResponder(failures: 0)
        let outcome = await respondRetryingOnce({ try await r.send() }, isTransmissionError: isTransmission)
        guard case .sent(attempts: 1) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(r.sends, 1)
    }

    func testOneTransmissionErrorIsRetriedOnce() async {
        let r = FakeResponder(failures: 1)
        let outcome = await respondRetryingOnce({ try await r.send() }, isTransmissionError: isTransmission)
        guard case .sent(attempts: 2) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(r.sends, 2)
    }

    func testTwoTransmissionErrorsEndTheCoreSession() async {
        let r = FakeResponder(failures: 5)
        let outcome = await respondRetryingOnce({ try await r.send() }, isTransmissionError: isTransmission)
        XCTAssertFalse(outcome.isSent)
        XCTAssertEqual(r.sends, 2, "retried exactly once")
    }

    func testAnotherErrorIsNotRetried() async {
        let r = FakeResponder(failures: 1, error: .readerGone)
        let outcome = await respondRetryingOnce({ try await r.send() }, isTransmissionError: isTransmission)
        guard case let .failed(error) = outcome, case FakeNFCError.readerGone = error else {
            return XCTFail("\(outcome)")
        }
        XCTAssertEqual(r.sends, 1)
    }
}

final class PresenceWindowTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func testNeverAuthenticatedMustAuthenticateBeforeTheTap() {
        XCTAssertTrue(PresenceWindow().mustAuthenticate(lastAuthenticated: nil, now: t0))
    }

    func testATapStartsWithoutAPromptOnlyIfTheWindowCoversAllOfIt() {
        let window = PresenceWindow(reuse: 120, tapBudget: 60)
        XCTAssertFalse(window.mustAuthenticate(lastAuthenticated: t0, now: t0))
        XCTAssertFalse(window.mustAuthenticate(lastAuthenticated: t0, now: t0.addingTimeInterval(60)))
        // 61 s in, a 60 s tap would outlast the 120 s window: the prompt could land mid-tap.
        XCTAssertTrue(window.mustAuthenticate(lastAuthenticated: t0, now: t0.addingTimeInterval(61)))
    }

    func testTheReuseIsClampedToLocalAuthenticationsMaximum() {
        XCTAssertEqual(PresenceWindow(reuse: 3_600).reuse, 300)
        XCTAssertEqual(PresenceWindow(reuse: -5).reuse, 0)
        // With no reuse every tap needs an authentication right before it.
        XCTAssertTrue(PresenceWindow(reuse: 0).mustAuthenticate(lastAuthenticated: t0, now: t0))
    }

    func testAClockMovedBackIsNotAuthenticated() {
        XCTAssertTrue(PresenceWindow().mustAuthenticate(lastAuthenticated: t0, now: t0.addingTimeInterval(-1)))
    }
}
