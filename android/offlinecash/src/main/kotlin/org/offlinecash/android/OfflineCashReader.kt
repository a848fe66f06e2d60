// Reader mode: the phone as the reader. Android hands us the other phone as a Tag; we open
// ISO-DEP, tell the core the link's limits, and let the core's ReaderSession drive the
// exchange through a Transceiver that only moves bytes.
//
//   NfcAdapter.enableReaderMode ─► onTagDiscovered(tag) ─► IsoDep.get(tag).connect()
//     ReaderSession (created once, with isExtendedLengthApduSupported / maxTransceiveLength)
//       .run(Transceiver) ──APDU──► IsoDep.transceive ──► the other phone (HCE)
//     TagLostException / IOException ─► ReaderSession.torn(); the next tap, a new session
//
// It does not look inside APDUs or frames and decides nothing about the payment.
package org.offlinecash.android

import android.app.Activity
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.tech.IsoDep
import android.os.Bundle
import java.io.IOException

/**
 * Drives payments from the reader side, one core reader session per tap: after a torn tap
 * the next tap gets a new session from [sessions], and the wallet resends a payment it had
 * already committed (the bindings' contract), so the payment completes once.
 *
 * [sessions] is asked at each tap, with the link's limits; build the core's reader session
 * there (pay, or receive as reader). [listener] hears every tap's end,
 * on the NFC reader thread (not the main thread).
 */
class OfflineCashReader(
    private val sessions: ReaderSessionFactory,
    private val listener: Listener,
    private val timeoutMillis: Int = DEFAULT_TIMEOUT_MILLIS,
) : NfcAdapter.ReaderCallback {

    /**
     * Builds the reader side of this payment, given what the link can carry: the core's
     * `ReaderSession` wrapped in [CoreReader].
     */
    fun interface ReaderSessionFactory {
        fun create(extendedLengthSupported: Boolean, maxTransceiveLength: Int): ReaderDriver
    }

    /** How a tap ended. */
    sealed class TapResult {
        /** The payment completed on this side; the reader is ready for a new payment. */
        object Completed : TapResult()

        /** The link broke mid-payment: tap again to complete it (with a new session). */
        data class Torn(val cause: IOException) : TapResult()

        /** The core refused or failed: the payment is over on this side; see [error]. */
        data class Failed(val error: Exception) : TapResult()

        /** The tag is not an ISO-DEP card (not a phone running Offline Cash). */
        object NotIsoDep : TapResult()
    }

    fun interface Listener {
        fun onTap(result: TapResult)
    }

    @Volatile
    private var current: ReaderDriver? = null

    /** Starts reader mode on [activity] (call from `onResume`). */
    fun enable(activity: Activity, adapter: NfcAdapter) {
        val extras = Bundle().apply {
            // Presence checks interrupt the exchange on some controllers: check rarely, the
            // transceive timeout detects a lost tag anyway.
            putInt(NfcAdapter.EXTRA_READER_PRESENCE_CHECK_DELAY, PRESENCE_CHECK_DELAY_MILLIS)
        }
        adapter.enableReaderMode(activity, this, READER_FLAGS, extras)
    }

    /** Stops reader mode (call from `onPause`). */
    fun disable(activity: Activity, adapter: NfcAdapter) {
        adapter.disableReaderMode(activity)
    }

    override fun onTagDiscovered(tag: Tag) {
        val isoDep = IsoDep.get(tag)
        listener.onTap(if (isoDep == null) TapResult.NotIsoDep else tap(IsoDepLink(isoDep)))
    }

    /** One tap over [link]: what [onTagDiscovered] does once it has an ISO-DEP tag. */
    fun tap(link: TagLink): TapResult = try {
        try {
            link.connect()
            link.setTimeout(timeoutMillis)
        } catch (e: IOException) {
            // Nothing was sent: the session (if any) is untouched.
            return TapResult.Torn(e)
        }
        val session = current
            ?: sessions.create(link.isExtendedLengthApduSupported, link.maxTransceiveLength).also { current = it }
        val transceiver = LinkTransceiver(link)
        try {
            session.run(transceiver)
            current = null
            TapResult.Completed
        } catch (e: Exception) {
            val lost = transceiver.lost
            if (lost != null) {
                // Whatever the core made of it, the link broke: a tear. The core's contract:
                // the next tap uses a new session from the wallet, which resends a pending
                // payment as it was.
                session.torn()
                current = null
                TapResult.Torn(lost)
            } else {
                current = null
                TapResult.Failed(e)
            }
        }
    } finally {
        try {
            link.close()
        } catch (e: IOException) {
            // Already gone.
        }
    }

    /** A [TagLink]'s transceive that remembers the I/O failure that ended the tap. */
    private class LinkTransceiver(private val link: TagLink) : ApduTransceiver {
        var lost: IOException? = null

        override fun transceive(command: ByteArray): ByteArray = try {
            link.transceive(command)
        } catch (e: IOException) {
            // TagLostException (the phones moved apart) or a transceive timeout.
            lost = e
            throw e
        }
    }

    companion object {
        /** NFC-A and NFC-B (phones emulate ISO-DEP over A), no NDEF probing of the other phone. */
        const val READER_FLAGS =
            NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_NFC_B or NfcAdapter.FLAG_READER_SKIP_NDEF_CHECK

        /**
         * 3 s per APDU: far above a normal answer (~10 ms per round trip plus, once per
         * payment, the card phone's signature and store commit, up to a few hundred ms on
         * StrongBox), which IsoDep's platform default may not cover; and short enough that a
         * card phone that stops answering is reported as a torn tap within seconds. (A phone
         * pulled out of the field is reported at once as TagLostException, not by timeout.)
         */
        const val DEFAULT_TIMEOUT_MILLIS = 3_000

        const val PRESENCE_CHECK_DELAY_MILLIS = 1_000
    }
}
