// Host Card Emulation: the phone as the card. Android routes every APDU that follows a SELECT
// of our AID (res/xml/apduservice.xml) here; the service hands it to the card session the app
// armed in CardSessionRegistry and returns the core's answer unchanged.
//
//   NFC controller ─► processCommandApdu(apdu) ─► CardSession.processApdu ─► response APDU
//                  ─► onDeactivated(reason)    ─► CardSession.deactivated  (a tear)
//
// It does not interpret APDUs, status words or frames, and decides nothing about the payment.
package org.offlinecash.android

import android.nfc.cardemulation.HostApduService
import android.os.Bundle

/**
 * The HCE service declared in the library's manifest. Apps do not subclass it; they arm a
 * card session with [CardSessionRegistry.arm].
 *
 * Answers are synchronous, on the main thread where Android delivers APDUs: the core answers
 * a command in well under the reader's timeout (a StrongBox signature, the slowest step, takes
 * up to a few hundred milliseconds, once per payment), and the platform sends the next APDU
 * only after this answer, so answering later would not make the tap faster.
 */
open class OfflineCashHceService : HostApduService() {

    override fun processCommandApdu(commandApdu: ByteArray?, extras: Bundle?): ByteArray {
        val command = commandApdu ?: return StatusWords.WRONG_LENGTH
        val armed = CardSessionRegistry.current()
        if (armed == null) {
            // Nothing to pay or receive right now: to the reader this phone has no such
            // application, which its core reports as "not found" rather than a failure.
            return StatusWords.NOT_FOUND
        }
        val response = try {
            armed.card.processApdu(command)
        } catch (e: Exception) {
            // The core answers every APDU with a status word itself; an exception here is a
            // broken binding (e.g. the native library is missing). Never crash the NFC stack.
            StatusWords.NO_PRECISE_DIAGNOSIS
        }
        armed.listener?.onApdu(command, response)
        return response
    }

    override fun onDeactivated(reason: Int) {
        val armed = CardSessionRegistry.current() ?: return
        try {
            armed.card.deactivated()
        } finally {
            armed.listener?.onDeactivated(reason)
        }
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
