// An NFC field in memory: the reader's TagLink delivers each command APDU to a real
// OfflineCashHceService through the service's own binder, as Android's NFC service does
// (HostApduService's Messenger: MSG_COMMAND_APDU in, MSG_RESPONSE_APDU back, whether the
// service answered at once or later with sendResponseApdu; MSG_DEACTIVATED for a tear), and
// can tear the link at a chosen APDU.
package org.offlinecash.android.scenarios

import android.content.Intent
import android.nfc.TagLostException
import android.nfc.cardemulation.HostApduService
import android.os.Binder
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.os.Message
import android.os.Messenger
import android.os.Parcel
import java.io.IOException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.TagLink

/** Where the field is lost, counting command APDUs from 0. */
data class Tear(val atCommand: Int, val afterCardAnswered: Boolean)

class HceLink(
    service: OfflineCashHceService,
    override val isExtendedLengthApduSupported: Boolean = false,
    override val maxTransceiveLength: Int = 261,
    private val tear: Tear? = null,
) : TagLink {
    private val field = HceField(service)

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
            if (tear.afterCardAnswered) field.command(command)
            field.deactivate(HostApduService.DEACTIVATION_LINK_LOSS)
            connected = false
            throw TagLostException("tear at command $index")
        }
        return field.command(command)
    }

    /** The reader is done: the phones part, and the card hears of it as a link loss, as on a device. */
    override fun close() {
        if (connected) field.deactivate(HostApduService.DEACTIVATION_LINK_LOSS)
        connected = false
    }
}

/**
 * Android's NFC service as a HostApduService sees it: a Messenger to the service's binder,
 * and a Messenger on the main looper for its answers.
 */
class HceField(private val service: OfflineCashHceService) {
    private val responses = LinkedBlockingQueue<ByteArray>()
    private val toService = Messenger(service.onBind(Intent(HostApduService.SERVICE_INTERFACE)))
    private val fromService = Messenger(ParcelingBinder(Handler(Looper.getMainLooper()) { message ->
        if (message.what == MSG_RESPONSE_APDU) {
            responses.add(message.data?.getByteArray(KEY_DATA) ?: ByteArray(0))
        }
        true
    }))

    /** Sends [apdu] as the NFC service does and waits for the service's answer. */
    fun command(apdu: ByteArray): ByteArray {
        val message = Message.obtain(null, MSG_COMMAND_APDU).apply {
            data = Bundle().apply { putByteArray(KEY_DATA, apdu) }
            replyTo = fromService
        }
        toService.send(message)
        val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HceServices.ANSWER_TIMEOUT_MILLIS)
        while (System.nanoTime() < deadline) {
            HceServices.pump()
            responses.poll(2, TimeUnit.MILLISECONDS)?.let { return it }
        }
        throw IOException("no answer from the HCE service within ${HceServices.ANSWER_TIMEOUT_MILLIS} ms")
    }

    /** The field is lost (or another AID selected); returns once the card was told. */
    fun deactivate(reason: Int) {
        toService.send(Message.obtain(null, MSG_DEACTIVATED, reason, 0))
        HceServices.syncMain()
        check(service.awaitWorker(HceServices.ANSWER_TIMEOUT_MILLIS)) { "the HCE worker did not finish" }
    }

    companion object {
        // HostApduService's binder protocol (hidden constants of the framework; the host test
        // HceServiceMessengerTest checks them against android-all).
        const val MSG_COMMAND_APDU = 0
        const val MSG_RESPONSE_APDU = 1
        const val MSG_DEACTIVATED = 2
        const val KEY_DATA = "data"
    }
}

/**
 * The NFC service's Messenger as HostApduService sees it: in another process, so every message
 * arrives as a parcelled copy. (HostApduService forwards a late answer by sending on the very
 * Message it is handling; a Messenger in the same process would be handed that Message while
 * it is still in use.)
 */
private class ParcelingBinder(private val handler: Handler) : Binder() {
    override fun onTransact(code: Int, data: Parcel, reply: Parcel?, flags: Int): Boolean {
        if (code != FIRST_CALL_TRANSACTION) return super.onTransact(code, data, reply, flags)
        data.enforceInterface(MESSENGER_INTERFACE)
        if (data.readInt() != 0) handler.sendMessage(Message.CREATOR.createFromParcel(data))
        return true
    }

    private companion object {
        const val MESSENGER_INTERFACE = "android.os.IMessenger"
    }
}

/**
 * How scenarios get an [OfflineCashHceService] and wait for the main looper. On a device the
 * service is built on the main thread (a Handler needs its Looper) while the test thread waits;
 * under Robolectric the test thread is the main thread, and the host tests install [pump]
 * (run the paused main looper) and [factory] (`Robolectric.buildService`).
 */
object HceServices {
    const val ANSWER_TIMEOUT_MILLIS = 10_000L

    var factory: () -> OfflineCashHceService = ::buildOnMain

    /**
     * A service constructed on the main thread, whichever thread asks: HostApduService's
     * constructor creates a Handler, which needs a Looper (the test runner's thread has none).
     */
    fun buildOnMain(): OfflineCashHceService = onMain { OfflineCashHceService() }

    /** Runs the main looper's due messages when the caller is the main thread itself. */
    var pump: () -> Unit = {}

    fun create(): OfflineCashHceService = factory()

    /** Returns once the main looper has handled everything posted to it before this call. */
    fun syncMain() {
        if (Looper.myLooper() == Looper.getMainLooper()) pump() else onMain {}
    }

    private fun <T> onMain(body: () -> T): T {
        if (Looper.myLooper() == Looper.getMainLooper()) return body()
        var result: Result<T>? = null
        val done = CountDownLatch(1)
        Handler(Looper.getMainLooper()).post {
            result = runCatching(body)
            done.countDown()
        }
        check(done.await(ANSWER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) { "main thread busy" }
        return result!!.getOrThrow()
    }
}
