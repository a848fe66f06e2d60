// What the HCE service forwards APDUs to, and the holder the app arms before a tap.
//
//   reader phone ──APDU──► OfflineCashHceService ──► CardSessionRegistry.current()
//                                                       └─► HceCard (a core CardSession)
//
// The registry decides nothing about the payment: it holds whichever card session the app
// armed (receive X, or pay), or none, and forgets it after a completed payment, at its
// deadline, or when the app disarms it (onPause). Everything else happens in the core.
package org.offlinecash.android

import android.os.SystemClock

/**
 * The card side of the NFC binding, as the HCE service sees it: APDUs in, APDUs out. The
 * core's `CardSession` is one ([CoreCard] adapts it; `CardSessionRegistry.arm(session)` does
 * that for you); tests may arm any implementation.
 */
interface HceCard {
    /** The response APDU (data ‖ SW1 SW2) to [command]. Never called concurrently. */
    fun processApdu(command: ByteArray): ByteArray

    /** The field was lost or another AID was selected: a torn tap, as far as the core knows. */
    fun deactivated()

    /** Whether the payment is complete on this side: the service then disarms the card. */
    val isFinished: Boolean
        get() = false
}

/**
 * What the HCE service reports to the app, on the service's worker thread (not the main
 * thread: post to it before touching views).
 */
interface HceListener {
    /** A command APDU was answered by the armed card. */
    fun onApdu(command: ByteArray, response: ByteArray) {}

    /** The link ended; [reason] is `HostApduService.DEACTIVATION_LINK_LOSS` or `_DESELECTED`. */
    fun onDeactivated(reason: Int) {}
}

/**
 * The card session that [OfflineCashHceService] answers with. The app arms one while its
 * screen is in front (`onResume`) and disarms it in `onPause`; the registry also forgets it
 * after a completed payment and after [timeoutMillis], so a phone left unlocked does not
 * answer a reader that touches it later. After a torn tap the app arms a new card session
 * from its wallet (the bindings' contract: new sessions on both phones; the wallets complete
 * the torn payment once).
 */
object CardSessionRegistry {
    /** How long an armed card session answers readers at most: two minutes. */
    const val DEFAULT_TIMEOUT_MILLIS = 120_000L

    internal class Armed(val card: HceCard, val listener: HceListener?, val deadline: Long)

    @Volatile
    private var armed: Armed? = null

    /**
     * Answers readers with [card] from now on, for at most [timeoutMillis] (on
     * `SystemClock.elapsedRealtime`), replacing any card armed before.
     */
    @JvmOverloads
    fun arm(card: HceCard, listener: HceListener? = null, timeoutMillis: Long = DEFAULT_TIMEOUT_MILLIS) {
        require(timeoutMillis > 0) { "timeoutMillis must be positive" }
        armed = Armed(card, listener, SystemClock.elapsedRealtime() + timeoutMillis)
    }

    /** Stops answering: readers get `6A82` (application not found) until the next [arm]. */
    fun disarm() {
        armed = null
    }

    /** Disarms [which] only if it is still the armed one (a newer arm wins). */
    @Synchronized
    internal fun disarm(which: Armed) {
        if (armed === which) armed = null
    }

    /** Whether a card session is armed and not past its deadline. */
    val isArmed: Boolean
        get() = current() != null

    internal fun current(): Armed? {
        val now = armed ?: return null
        if (SystemClock.elapsedRealtime() >= now.deadline) {
            disarm(now)
            return null
        }
        return now
    }
}
