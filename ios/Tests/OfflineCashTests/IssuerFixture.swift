// A real issuer for the wallet tests: the repository's `offline-cash-issuer serve` on a
// local port, with a fresh database, and wallets registered and funded through it over HTTP,
// exactly as the apps do (`register()`, `fund(amounts:)`).
//
//   IssuerFixture.start() ─► Process: offline-cash-issuer serve --db tmp --listen 127.0.0.1:0
//                            --url-file tmp/issuer.url   (the kernel picks the port P)
//   createAccount ─POST /v1/admin/accounts─► credential
//   wallet(name, funds) ─► Wallet.openSoftware ─► register() ─► fund(amounts:)
//
// macOS and Linux (Foundation.Process; on Linux ios/scripts/swift-linux.sh runs it). The binary
// comes from OFFLINE_CASH_ISSUER_BIN or <repo>/target/{release,debug}/offline-cash-issuer: build
// it with `cargo build -p offline-cash-issuer`. Without it the wallet tests are skipped.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OfflineCash
import XCTest

#if os(macOS) || os(Linux)
/// One HTTP exchange through a data task (the async URLSession methods are not on every
/// Foundation these tests run on).
func httpData(_ request: URLRequest, session: URLSession) async throws -> (Data, URLResponse) {
    try await withCheckedThrowingContinuation { continuation in
        session.dataTask(with: request) { data, response, error in
            if let error {
                continuation.resume(throwing: error)
            } else if let response {
                continuation.resume(returning: (data ?? Data(), response))
            } else {
                continuation.resume(throwing: URLError(.badServerResponse))
            }
        }.resume()
    }
}

final class IssuerFixture {
    static let adminToken = "swift-tests-admin-token"
    let url: String
    private let process: Process
    private let directory: URL
    /// Its own session, invalidated at `stop()`: the issuer's graceful shutdown waits for
    /// idle keep-alive connections.
    private let session = URLSession(configuration: .ephemeral)

    private init(url: String, process: Process, directory: URL) {
        self.url = url
        self.process = process
        self.directory = directory
    }

    private static func binary() -> URL? {
        if let path = ProcessInfo.processInfo.environment["OFFLINE_CASH_ISSUER_BIN"] {
            return URL(fileURLWithPath: path)
        }
        // ios/Tests/OfflineCashTests/IssuerFixture.swift → the repository root.
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for profile in ["release", "debug"] {
            let candidate = root.appendingPathComponent("target/\(profile)/offline-cash-issuer")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    /// Starts an issuer, or skips the test when the binary is not built.
    static func start() async throws -> IssuerFixture {
        guard let binary = binary() else {
            throw XCTSkip("offline-cash-issuer not built: cargo build -p offline-cash-issuer --release")
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("offline-cash-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Port 0: the kernel picks a free port, which the server holds from then on, and the
        // server writes its URL to `issuer.url`. A port drawn at random here raced every other
        // process on the machine for it (CI once failed on "Address already in use").
        let urlFile = directory.appendingPathComponent("issuer.url")
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "serve",
            "--db", directory.appendingPathComponent("issuer.db").path,
            "--listen", "127.0.0.1:0",
            "--url-file", urlFile.path,
            "--admin-token", adminToken,
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        guard let url = await waitForUrl(urlFile, process: process) else {
            stopProcess(process)
            try? FileManager.default.removeItem(at: directory)
            XCTFail("offline-cash-issuer did not write its URL to \(urlFile.path)")
            throw CancellationError()
        }
        let fixture = IssuerFixture(url: url, process: process, directory: directory)
        try await fixture.waitUntilHealthy()
        return fixture
    }

    /// The URL the server wrote once it was listening, or nil if it exited first.
    private static func waitForUrl(_ file: URL, process: Process) async -> String? {
        for _ in 0..<600 {
            if let text = try? String(contentsOf: file, encoding: .utf8) {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if !process.isRunning { return nil }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return nil
    }

    /// Polls GET /health until the server answers (readiness, not a timing assertion).
    private func waitUntilHealthy() async throws {
        let health = URL(string: url + "/health")!
        for _ in 0..<200 {
            if !process.isRunning { break }
            if let answer = try? await httpData(URLRequest(url: health), session: session),
               (answer.1 as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        stop()
        XCTFail("offline-cash-issuer did not come up at \(url)")
        throw CancellationError()
    }

    /// Creates a customer account holding `balance`; returns its credential.
    func createAccount(_ customerRef: String, balance: UInt64) async throws -> String {
        var request = URLRequest(url: URL(string: url + "/v1/admin/accounts")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(Self.adminToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let payload: [String: Any] = ["customer_ref": customerRef, "balance": balance]
        request.httpBody = try JSONSerialization.data(withJSONObject: payload)
        let (data, response) = try await httpData(request, session: session)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status),
              let body = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let credential = body["credential"] as? String
        else {
            throw NSError(domain: "IssuerFixture", code: status, userInfo: [
                NSLocalizedDescriptionKey: String(decoding: data, as: UTF8.self),
            ])
        }
        return credential
    }

    /// A registered software wallet of `suite` holding one note per amount in `funds`.
    func wallet(_ name: String, funds: [UInt64] = [], suite: Suite = .ecdsaP256) async throws -> Wallet {
        let credential = try await createAccount("\(name)-\(UUID().uuidString.prefix(8))",
                                                 balance: funds.reduce(0, +))
        let config = WalletConfig(
            issuerUrl: url,
            accountCredential: credential,
            suite: suite,
            maxClockSkewSecs: 300,
            requestTtlSecs: 600,
            // The fixture's issuer is on 127.0.0.1, which plain HTTP may always reach.
            allowInsecureHttp: false
        )
        let path = directory.appendingPathComponent("\(name)-\(UUID().uuidString).db").path
        let wrapper = testKeyWrapper()
        let wallet = try Wallet.openSoftware(path: path, config: config, keyWrapper: wrapper)
        try await wallet.register()
        if !funds.isEmpty {
            try await wallet.fund(amounts: funds)
        }
        return wallet
    }

    func stop() {
        session.invalidateAndCancel()
        Self.stopProcess(process)
        try? FileManager.default.removeItem(at: directory)
    }

    private static func stopProcess(_ process: Process) {
        if process.isRunning {
            // SIGTERM starts a graceful shutdown, which waits for idle keep-alive connections;
            // the database is thrown away, so a second later it is killed.
            process.terminate()
            let deadline = Date().addingTimeInterval(1)
            while process.isRunning, Date() < deadline {
                usleep(20_000)
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
    }
}
#endif
