// An NFC field in memory: the reader's TagLink delivers each command APDU straight to a real
// OfflineCashHceService instance (processCommandApdu(apdu, null)), as the NFC controller
// would, and can tear the link at a chosen APDU.
package org.offlinecash.android.scenarios

import android.nfc.TagLostException
import android.nfc.cardemulation.HostApduService
import org.offlinecash.android.TagLink

/** Where the field is lost, counting command APDUs from 0. */
data class Tear(val atCommand: Int, val afterCardAnswered: Boolean)

class HceLink(
    private val service: HostApduService,
    override val isExtendedLengthApduSupported: Boolean = false,
    override val maxTransceiveLength: Int = 261,
    private val tear: Tear? = null,
) : TagLink {
    /** Every command APDU sent, in order. */
    val commands = mutableListOf<ByteArray>()
    var connected = false
        private set
    var timeoutMillis = 0
        private set

    override fun connect() {
        connected = true
    }

    override fun setTimeout(millis: Int) {
        timeoutMillis = millis
    }

    override fun transceive(command: ByteArray): ByteArray {
        check(connected) { "transceive before connect" }
        check(command.size <= maxTransceiveLength) { "command of ${command.size} bytes over the link's $maxTransceiveLength" }
        val index = commands.size
        commands += command
        if (tear != null && index == tear.atCommand) {
            // The card may or may not have seen the command before the field went away.
            if (tear.afterCardAnswered) service.processCommandApdu(command, null)
            service.onDeactivated(HostApduService.DEACTIVATION_LINK_LOSS)
            connected = false
            throw TagLostException("tear at command $index")
        }
        return service.processCommandApdu(command, null)
    }

    override fun close() {
        connected = false
    }
}

/**
 * How scenarios get an [OfflineCashHceService]: its constructor on a device; on the host JVM
 * (no native Binder) an instance made without the framework constructors, installed by the
 * host check.
 */
object HceServices {
    var factory: () -> org.offlinecash.android.OfflineCashHceService = { org.offlinecash.android.OfflineCashHceService() }

    fun create(): org.offlinecash.android.OfflineCashHceService = factory()
}
