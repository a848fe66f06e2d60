// The only file that touches the bindings' wallet types: the core's CardSession as an HceCard,
// the core's ReaderSession as a ReaderDriver. Pure forwarding.
//
//   CardSession.processApdu / deactivated  ◄── CoreCard   ◄── OfflineCashHceService
//   ReaderSession.run(Transceiver) / torn  ◄── CoreReader ◄── OfflineCashReader
package org.offlinecash.android

import java.io.IOException
import org.offlinecash.CardSession
import org.offlinecash.ReaderSession
import org.offlinecash.Transceiver
import org.offlinecash.TransceiveException

/** The core's [CardSession] as an [HceCard]. */
class CoreCard(private val session: CardSession) : HceCard {
    override fun processApdu(command: ByteArray): ByteArray = session.processApdu(command)

    override fun deactivated() = session.deactivated()

    override val isFinished: Boolean
        get() = session.isFinished()
}

/** Arms the core's card [session] in the HCE service. */
fun CardSessionRegistry.arm(
    session: CardSession,
    listener: HceListener? = null,
    timeoutMillis: Long = CardSessionRegistry.DEFAULT_TIMEOUT_MILLIS,
) = arm(CoreCard(session), listener, timeoutMillis)

/** The core's [ReaderSession] as a [ReaderDriver]. */
class CoreReader(private val session: ReaderSession) : ReaderDriver {
    override fun run(transceiver: ApduTransceiver) {
        session.run(object : Transceiver {
            override fun transceive(command: ByteArray): ByteArray = try {
                transceiver.transceive(command)
            } catch (e: IOException) {
                throw TransceiveException.Failed(detail = e.toString())
            }
        })
    }

    override fun torn() = session.torn()
}
