// Receive: shows the requested amount and arms the HCE service with a payee card session while
// this screen is in front (ForegroundCard: armed in onResume, disarmed in onPause); the payer's
// phone (reader mode) taps this one. The outcome comes from the core.
package org.offlinecash.sample

import android.app.Activity
import android.nfc.cardemulation.HostApduService
import android.os.Bundle
import android.widget.TextView
import java.util.concurrent.Executors
import org.offlinecash.CardSession
import org.offlinecash.NfcRole
import org.offlinecash.android.CoreCard
import org.offlinecash.android.ForegroundCard
import org.offlinecash.android.HceListener

class ReceiveActivity : Activity() {
    private lateinit var status: TextView
    private var session: CardSession? = null
    private val background = Executors.newSingleThreadExecutor()
    private val foreground = ForegroundCard(this)
    private var amount = 0L

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        amount = intent.getLongExtra(EXTRA_AMOUNT, 0)
        status = TextView(this).apply { textSize = 28f; text = "Receive $amount\nopening wallet…" }
        setContentView(status)
        background.execute {
            val wallet = (application as SampleApp).openWallet()
            // Short APDUs: the HCE stacks of most phones do not take extended-length commands.
            val card = wallet.cardSession(NfcRole.PAYEE, amount.toULong(), false)
            runOnUiThread {
                session = card
                foreground.set(CoreCard(card), listener)
                status.text = "Receive $amount\nhold the payer's phone here"
            }
        }
    }

    override fun onResume() {
        super.onResume()
        foreground.onResume()
    }

    override fun onPause() {
        foreground.onPause()
        super.onPause()
    }

    // Called on the HCE service's worker thread: the views are touched on the main thread.
    private val listener = object : HceListener {
        override fun onApdu(command: ByteArray, response: ByteArray) {
            runOnUiThread {
                val card = session ?: return@runOnUiThread
                when {
                    card.isFinished() -> status.text = "Received. Thank you."
                    card.lastError() != null -> status.text = "Refused: ${card.lastError()}"
                }
            }
        }

        override fun onDeactivated(reason: Int) {
            runOnUiThread { retryAfterTear(reason) }
        }
    }

    private fun retryAfterTear(reason: Int) {
        val card = session ?: return
        if (card.isFinished() || reason != HostApduService.DEACTIVATION_LINK_LOSS) return
        status.text = "Interrupted: tap again"
        // The next tap uses a new card session for the same request: the payer resends a
        // pending payment only for the request it answers (the wallets complete it once).
        val nonce = card.requestNonce() ?: return
        background.execute {
            val next = (application as SampleApp).openWallet().cardSessionAgain(nonce, false)
            runOnUiThread {
                session = next
                foreground.set(CoreCard(next), listener)
            }
        }
    }

    override fun onDestroy() {
        session?.close()
        background.shutdown()
        super.onDestroy()
    }

    companion object {
        const val EXTRA_AMOUNT = "amount"
    }
}
