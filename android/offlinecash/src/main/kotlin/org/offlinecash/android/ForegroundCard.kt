// A card session that answers readers only while one screen is in front: armed in onResume,
// disarmed in onPause, with this app's HCE service preferred over other apps' for our AID
// while the screen shows (CardEmulation.setPreferredService).
//
//   Activity.onResume ─► setPreferredService + CardSessionRegistry.arm(card)   (if one is set)
//   Activity.onPause  ─► CardSessionRegistry.disarm() + unsetPreferredService
package org.offlinecash.android

import android.app.Activity
import android.content.ComponentName
import android.nfc.NfcAdapter
import android.nfc.cardemulation.CardEmulation

/**
 * Holds the screen's card session and arms it only between [onResume] and [onPause] (call
 * both from the activity's own callbacks, on the main thread). [set] may come later, from a
 * background thread's result posted to the main thread: it arms at once if the screen is
 * in front. The registry's own deadline and disarm-after-completion still apply.
 */
class ForegroundCard(
    private val activity: Activity,
    private val timeoutMillis: Long = CardSessionRegistry.DEFAULT_TIMEOUT_MILLIS,
) {
    private var card: HceCard? = null
    private var listener: HceListener? = null
    private var resumed = false

    /** The card session to answer with (replaces any earlier one). */
    fun set(card: HceCard, listener: HceListener? = null) {
        this.card = card
        this.listener = listener
        if (resumed) CardSessionRegistry.arm(card, listener, timeoutMillis)
    }

    fun onResume() {
        resumed = true
        cardEmulation()?.setPreferredService(activity, ComponentName(activity, OfflineCashHceService::class.java))
        card?.let { CardSessionRegistry.arm(it, listener, timeoutMillis) }
    }

    fun onPause() {
        resumed = false
        CardSessionRegistry.disarm()
        cardEmulation()?.unsetPreferredService(activity)
    }

    private fun cardEmulation(): CardEmulation? =
        NfcAdapter.getDefaultAdapter(activity)?.let { CardEmulation.getInstance(it) }
}
