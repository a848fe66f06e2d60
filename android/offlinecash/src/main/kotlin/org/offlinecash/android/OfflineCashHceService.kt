// Host Card Emulation: the phone as the card. Android routes every APDU that follows a SELECT
// of our AID (res/xml/apduservice.xml) here, on the main thread; the service hands it to the
// card session the app armed in CardSessionRegistry on its own worker thread and sends the
// core's answer back with sendResponseApdu, unchanged.
//
//   NFC controller ─► processCommandApdu(apdu) = null ─► worker: CardSession.processApdu
//                                                           └─► sendResponseApdu(response)
//                  ─► onDeactivated(reason)           ─► worker: CardSession.deactivated (a tear)
//
// It does not interpret APDUs, status words or frames, and decides nothing about the payment.
package org.offlinecash.android

import android.nfc.cardemulation.HostApduService
import android.os.Bundle
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * The HCE service declared in the library's manifest. Apps do not subclass it; they arm a
 * card session with [CardSessionRegistry.arm].
 *
 * The core's work for one command (an fsync'd commit, a StrongBox signature of hundreds of
 * milliseconds) never runs on the main thread: [processCommandApdu] returns `null` and one
 * worker thread answers with [sendResponseApdu], in the order the commands came. Deactivations
 * go through the same worker, so the card hears of a tear after the command it was answering.
 */
open class OfflineCashHceService : HostApduService() {
    private val worker: ExecutorService = Executors.newSingleThreadExecutor { task ->
        Thread(task, WORKER_THREAD_NAME).apply { isDaemon = true }
    }

    override fun processCommandApdu(commandApdu: ByteArray?, extras: Bundle?): ByteArray? {
        val command = commandApdu ?: return StatusWords.WRONG_LENGTH
        // Nothing to pay or receive right now: to the reader this phone has no such
        // application, which its core reports as "not found" rather than a failure.
        val armed = CardSessionRegistry.current() ?: return StatusWords.NOT_FOUND
        worker.execute { sendResponseApdu(answer(armed, command)) }
        return null
    }

    override fun onDeactivated(reason: Int) {
        val armed = CardSessionRegistry.current() ?: return
        worker.execute {
            try {
                armed.card.deactivated()
            } finally {
                armed.listener?.onDeactivated(reason)
            }
        }
    }

    override fun onDestroy() {
        worker.shutdown()
        super.onDestroy()
    }

    /**
     * Waits until the worker has run everything handed to it so far; false on timeout. For
     * tests (public: the sample's tests use the shared scenarios too, from another module).
     */
    fun awaitWorker(timeoutMillis: Long): Boolean =
        worker.submit {}.let {
            try {
                it.get(timeoutMillis, TimeUnit.MILLISECONDS)
                true
            } catch (e: java.util.concurrent.TimeoutException) {
                false
            }
        }

    private fun answer(armed: CardSessionRegistry.Armed, command: ByteArray): ByteArray {
        val response = try {
            armed.card.processApdu(command)
        } catch (e: Exception) {
            // The core answers every APDU with a status word itself; an exception here is a
            // broken binding (e.g. the native library is missing). Never crash the NFC stack.
            StatusWords.NO_PRECISE_DIAGNOSIS
        }
        // A completed payment disarms at once: the next reader to touch the phone finds nothing.
        if (armed.card.isFinished) CardSessionRegistry.disarm(armed)
        armed.listener?.onApdu(command, response)
        return response
    }

    internal companion object {
        const val WORKER_THREAD_NAME = "offlinecash-hce"
    }
}

/** The few status words the service answers by itself (ISO 7816-4), when the core cannot. */
internal object StatusWords {
    /** `6700`: no APDU at all. */
    val WRONG_LENGTH = byteArrayOf(0x67, 0x00)

    /** `6A82`: no card session armed; the reader sees "application not found". */
    val NOT_FOUND = byteArrayOf(0x6A, 0x82.toByte())

    /** `6F00`: the binding itself failed. */
    val NO_PRECISE_DIAGNOSIS = byteArrayOf(0x6F, 0x00)
}
