// Pay: reader mode. The receiver's phone (HCE, showing the amount) is tapped; the core's
// reader session pays what the receiver requested, after checking it against its limits.
package org.offlinecash.sample

import android.app.Activity
import android.nfc.NfcAdapter
import android.os.Bundle
import android.widget.TextView
import org.offlinecash.NfcRole
import org.offlinecash.android.CoreReader
import org.offlinecash.android.OfflineCashReader
import org.offlinecash.android.OfflineCashReader.TapResult
import org.offlinecash.android.SyncScheduler

class PayActivity : Activity() {
    private lateinit var status: TextView
    private var adapter: NfcAdapter? = null

    private val reader by lazy {
        OfflineCashReader(
            // Called on the NFC thread at the first tap: opening the wallet there is fine.
            sessions = { extended, maxTransceive ->
                val wallet = (application as SampleApp).openWallet()
                CoreReader(wallet.readerSession(NfcRole.PAYER, null, extended, maxTransceive.toUInt()))
            },
            listener = { result -> runOnUiThread { show(result) } },
        )
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        adapter = NfcAdapter.getDefaultAdapter(this)
        status = TextView(this).apply {
            textSize = 28f
            text = if (adapter == null) "This phone has no NFC" else "Hold this phone to the receiver's"
        }
        setContentView(status)
    }

    override fun onResume() {
        super.onResume()
        adapter?.let { reader.enable(this, it) }
    }

    override fun onPause() {
        adapter?.let { reader.disable(this, it) }
        super.onPause()
    }

    private fun show(result: TapResult) {
        status.text = when (result) {
            TapResult.Completed -> "Paid.".also { SyncScheduler.syncSoon(this) }
            is TapResult.Torn -> "Interrupted: hold the phones together again"
            is TapResult.Failed -> "Not paid: ${result.error.message}"
            TapResult.NotIsoDep -> "That is not an Offline Cash phone"
        }
    }
}
