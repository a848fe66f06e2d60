// The reader's view of an ISO-DEP (ISO 14443-4) tag: IsoDep on a phone, an in-memory link to
// an HCE service in tests. Only moves bytes.
package org.offlinecash.android

import android.nfc.tech.IsoDep
import java.io.Closeable
import java.io.IOException

/** An ISO-DEP link, as [OfflineCashReader] uses it. */
interface TagLink : Closeable {
    /** Opens the link. Throws [IOException] if the tag is already gone. */
    @Throws(IOException::class)
    fun connect()

    /** Sets how long one [transceive] may wait for the card's answer. */
    fun setTimeout(millis: Int)

    /** Whether this phone's controller sends extended-length APDUs to this tag. */
    val isExtendedLengthApduSupported: Boolean

    /** The longest command APDU (header included) the controller sends to this tag. */
    val maxTransceiveLength: Int

    /** Sends [command], returns the response APDU. Throws [IOException] (e.g. `TagLostException`). */
    @Throws(IOException::class)
    fun transceive(command: ByteArray): ByteArray
}

/** [TagLink] over Android's [IsoDep]. */
class IsoDepLink(private val isoDep: IsoDep) : TagLink {
    override fun connect() = isoDep.connect()

    override fun setTimeout(millis: Int) {
        isoDep.timeout = millis
    }

    override val isExtendedLengthApduSupported: Boolean
        get() = isoDep.isExtendedLengthApduSupported

    override val maxTransceiveLength: Int
        get() = isoDep.maxTransceiveLength

    override fun transceive(command: ByteArray): ByteArray = isoDep.transceive(command)

    override fun close() = isoDep.close()
}
