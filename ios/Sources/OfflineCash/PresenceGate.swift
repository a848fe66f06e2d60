// PresenceGate: authenticates the user BEFORE a tap, for an Enclave key created with
// `.userPresence`, so that no Face ID sheet appears inside the NFC exchange (PresenceWindow.swift
// has the rule and its tests).
//
//   app: try await gate.authenticateIfNeeded(reason: "Pay 3.00")   ← before begin() / run()
//        SecureEnclaveSigner.loadOrCreate(…, authenticationContext: gate.context)
//        tap: core signs ─► Enclave reuses gate.context's authentication (no prompt)
//
// Apple-only (LocalAuthentication).
#if canImport(LocalAuthentication)
import Foundation
import LocalAuthentication

/// One LAContext reused for the signatures of the taps inside its window.
public final class PresenceGate: @unchecked Sendable {
    private let lock = NSLock()
    private var lastAuthenticated: Date?
    /// The context to hand to `SecureEnclaveSigner.loadOrCreate(authenticationContext:)`.
    public let context: LAContext
    /// The reuse window and tap budget.
    public let window: PresenceWindow

    public init(window: PresenceWindow = PresenceWindow()) {
        self.window = window
        let context = LAContext()
        context.touchIDAuthenticationAllowableReuseDuration = window.reuse
        self.context = context
    }

    /// Whether a tap started now would need a prompt first.
    public var mustAuthenticate: Bool {
        lock.lock()
        defer { lock.unlock() }
        return window.mustAuthenticate(lastAuthenticated: lastAuthenticated, now: Date())
    }

    /// Shows the system prompt if the window does not cover a whole tap from now; returns
    /// when the user may tap. Throws LocalAuthentication's error (cancelled, failed).
    public func authenticateIfNeeded(reason: String) async throws {
        guard mustAuthenticate else { return }
        context.interactionNotAllowed = false
        try await context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: reason)
        // From now on the core's sign() inside a tap never prompts: past the window it fails
        // (a Signer error, the tap is refused and can be retried) instead of hiding the tap
        // behind a system sheet.
        context.interactionNotAllowed = true
        lock.lock()
        lastAuthenticated = Date()
        lock.unlock()
    }
}
#endif
