// CardRespondRetry: how the card shell sends one response APDU. Core NFC's
// `CardSession.APDU.respond(response:)` may fail with `CardSession.Error.transmissionError`
// (a glitch on the field): the same bytes are sent once more. Any other error, or a second
// failure, ends this core session: the shell reports the tear (`linkLost`) and the next tap
// gets a new core session (the payer resends its pending payment, the payee answers a
// repeated payment with the same receipt).
//
//   respond ─ok─────────────────────────────► .sent(attempts: 1)
//           ─transmissionError─► respond ─ok─► .sent(attempts: 2)
//                                        ─err► .failed          ─► linkLost, new core session
//           ─other error─────────────────────► .failed
//
// Platform-independent (tested on Linux); the Core NFC shell passes the real send.
import Foundation

/// How sending one response ended.
public enum RespondOutcome: Sendable {
    /// Sent, after this many attempts (1 or 2).
    case sent(attempts: Int)
    /// Not sent: start a new core session; `error` is the last failure.
    case failed(error: Error)

    /// Whether the response went out.
    public var isSent: Bool {
        if case .sent = self { return true }
        return false
    }
}

/// Sends a response with `send`, retrying once when `isTransmissionError` says the failure
/// was a transmission error.
public func respondRetryingOnce(
    _ send: () async throws -> Void,
    isTransmissionError: (Error) -> Bool
) async -> RespondOutcome {
    do {
        try await send()
        return .sent(attempts: 1)
    } catch let first {
        guard isTransmissionError(first) else { return .failed(error: first) }
        do {
            try await send()
            return .sent(attempts: 2)
        } catch {
            return .failed(error: error)
        }
    }
}
