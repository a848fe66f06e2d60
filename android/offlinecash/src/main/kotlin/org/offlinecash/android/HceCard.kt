// What the HCE service forwards APDUs to, and the holder the app arms before a tap.
//
//   reader phone ──APDU──► OfflineCashHceService ──► CardSessionRegistry.current()
//                                                       └─► HceCard (a core CardSession)
//
// The registry decides nothing: it holds whichever card session the app armed (receive X, or
// pay), or none. Everything about the payment happens inside the core's CardSession.
package org.offlinecash.android

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
}

/** What the HCE service reports to the app, on the thread that delivered the APDU (main). */
interface HceListener {
    /** A command APDU was answered by the armed card. */
    fun onApdu(command: ByteArray, response: ByteArray) {}

    /** The link ended; [reason] is `HostApduService.DEACTIVATION_LINK_LOSS` or `_DESELECTED`. */
    fun onDeactivated(reason: Int) {}
}

/**
 * The card session that [OfflineCashHceService] answers with. The app arms one before the
 * user taps (to receive an amount, or to pay) and disarms it when it is done. After a torn
 * tap the app arms a new card session from its wallet (the bindings' contract: new sessions
 * on both phones; the wallets complete the torn payment once).
 */
object CardSessionRegistry {
    internal class Armed(val card: HceCard, val listener: HceListener?)

    @Volatile
    private var armed: Armed? = null

    /** Answers readers with [card] from now on (tests, or an app's own wrapper). */
    fun arm(card: HceCard, listener: HceListener? = null) {
        armed = Armed(card, listener)
    }

    /** Stops answering: readers get `6A82` (application not found) until the next [arm]. */
    fun disarm() {
        armed = null
    }

    /** Whether a card session is armed. */
    val isArmed: Boolean
        get() = armed != null

    internal fun current(): Armed? = armed
}
