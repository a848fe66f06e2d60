// PresenceWindow: when to ask for Face ID / Touch ID / the passcode for an Enclave key created
// with `.userPresence`. A prompt must never appear inside a tap: Core NFC gives the whole
// exchange a few seconds of field and 60 s of session, and the system sheet would cover the
// payment. So the app authenticates BEFORE the tap, with an LAContext whose
// `touchIDAuthenticationAllowableReuseDuration` is `reuse`, and hands that context to the key;
// signing inside the tap then reuses the authentication without a prompt.
//
//   authenticated at t0 ──── reuse window (≤ 300 s, LocalAuthentication's maximum) ────┤
//   tap may start at now only if now + tapBudget ≤ t0 + reuse; otherwise authenticate again first
//
// Platform-independent (tested on Linux); the LocalAuthentication part is PresenceGate.swift.
import Foundation

/// The reuse window of one authentication.
public struct PresenceWindow: Equatable, Sendable {
    /// LocalAuthentication's largest reuse duration (LATouchIDAuthenticationMaximumAllowableReuseDuration).
    public static let maximumReuse: TimeInterval = 300
    /// The longest a tap may take from the moment it starts (Core NFC's session limit).
    public static let defaultTapBudget: TimeInterval = 60

    /// How long an authentication is reused, clamped to `0...maximumReuse`.
    public let reuse: TimeInterval
    /// How long a tap may take; a tap starts only if the window covers all of it.
    public let tapBudget: TimeInterval

    public init(reuse: TimeInterval = PresenceWindow.maximumReuse, tapBudget: TimeInterval = PresenceWindow.defaultTapBudget) {
        self.reuse = min(max(reuse, 0), Self.maximumReuse)
        self.tapBudget = max(tapBudget, 0)
    }

    /// Whether the app must authenticate before starting a tap at `now`, given the last
    /// successful authentication (nil: never).
    public func mustAuthenticate(lastAuthenticated: Date?, now: Date) -> Bool {
        guard let lastAuthenticated else { return true }
        let age = now.timeIntervalSince(lastAuthenticated)
        // A clock moved backwards is treated as "not authenticated".
        if age < 0 { return true }
        return age + tapBudget > reuse
    }
}
