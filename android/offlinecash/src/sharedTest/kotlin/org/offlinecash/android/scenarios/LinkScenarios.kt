// The reader and the HCE service joined by an in-memory field, with a scripted card and
// driver instead of wallets: what the Android classes themselves do on taps, tears and
// retries (which session is kept, who is told of the tear), independent of the payment.
package org.offlinecash.android.scenarios

import java.io.IOException
import org.offlinecash.android.ApduTransceiver
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.HceCard
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.OfflineCashReader
import org.offlinecash.android.OfflineCashReader.TapResult
import org.offlinecash.android.ReaderDriver

/** A card that answers every command `9000` and counts what it was told. */
class ScriptedCard : HceCard {
    var commands = 0
    var deactivations = 0

    override fun processApdu(command: ByteArray): ByteArray {
        commands++
        return hexBytes("9000")
    }

    override fun deactivated() {
        deactivations++
    }
}

/** A driver sending [apdus] commands per run, each of which must be answered `9000`. */
class ScriptedDriver(private val apdus: Int = 3, private val failWith: Exception? = null) : ReaderDriver {
    var runs = 0
    var torn = 0

    override fun run(transceiver: ApduTransceiver) {
        runs++
        repeat(apdus) { i ->
            val response = transceiver.transceive(hexBytes("80100000"))
            checkEquals("9000", response.statusWord(), "response $i")
        }
        failWith?.let { throw it }
    }

    override fun torn() {
        torn++
    }
}

private class CountingFactory(val make: () -> ScriptedDriver) : OfflineCashReader.ReaderSessionFactory {
    val created = mutableListOf<ScriptedDriver>()
    var lastLimits: Pair<Boolean, Int>? = null

    override fun create(extendedLengthSupported: Boolean, maxTransceiveLength: Int): ReaderDriver {
        lastLimits = extendedLengthSupported to maxTransceiveLength
        return make().also { created += it }
    }
}

/** One tap; the reader tells the driver factory the link's limits. */
fun linkTapCompletes() {
    val card = ScriptedCard()
    CardSessionRegistry.arm(card)
    try {
        val factory = CountingFactory { ScriptedDriver() }
        val results = mutableListOf<TapResult>()
        val reader = OfflineCashReader(factory, { results += it })
        val link = HceLink(HceServices.create(), isExtendedLengthApduSupported = true, maxTransceiveLength = 65_546)
        checkEquals(TapResult.Completed, reader.tap(link), "tap")
        checkEquals(true to 65_546, factory.lastLimits, "limits given to the core")
        checkEquals(3, card.commands, "commands reaching the card")
        checkEquals(OfflineCashReader.DEFAULT_TIMEOUT_MILLIS, link.timeoutMillis, "timeout")
        check(!link.connected) { "closed" }
    } finally {
        CardSessionRegistry.disarm()
    }
}

/**
 * A tear at every command: the reader reports Torn and tells its session once, the HCE
 * service tells the card once; the next tap gets a new session (the core's contract) and completes.
 */
fun linkTearThenRetryUsesANewSession() {
    for (at in 0 until 3) {
        for (afterCardAnswered in listOf(false, true)) {
            val card = ScriptedCard()
            CardSessionRegistry.arm(card)
            try {
                val factory = CountingFactory { ScriptedDriver() }
                val reader = OfflineCashReader(factory, {})
                val service = HceServices.create()
                val first = reader.tap(HceLink(service, tear = Tear(at, afterCardAnswered)))
                check(first is TapResult.Torn) { "tear at $at: $first" }
                checkEquals(1, factory.created.single().torn, "session told of the tear")
                checkEquals(1, card.deactivations, "card told of the tear")
                checkEquals(TapResult.Completed, reader.tap(HceLink(service)), "retry")
                checkEquals(2, factory.created.size, "the retry got a new session")
                checkEquals(listOf(1, 1), factory.created.map { it.runs }, "runs")
            } finally {
                CardSessionRegistry.disarm()
            }
        }
    }
}

/** A session that fails (the core refused) ends the payment: the next tap starts a new one. */
fun linkFailureEndsTheSession() {
    CardSessionRegistry.arm(ScriptedCard())
    try {
        var fail = true
        val factory = CountingFactory { ScriptedDriver(failWith = if (fail) IllegalStateException("rejected") else null) }
        val reader = OfflineCashReader(factory, {})
        val service = HceServices.create()
        val first = reader.tap(HceLink(service))
        check(first is TapResult.Failed) { "expected Failed, got $first" }
        checkEquals(0, factory.created.single().torn, "a refusal is not a tear")
        fail = false
        checkEquals(TapResult.Completed, reader.tap(HceLink(service)), "next payment")
        checkEquals(2, factory.created.size, "a new session for the next payment")
    } finally {
        CardSessionRegistry.disarm()
    }
}

/** A tag gone before connect: Torn, and no session is created for it. */
fun linkConnectFailure() {
    val factory = CountingFactory { ScriptedDriver() }
    val reader = OfflineCashReader(factory, {})
    val link = object : org.offlinecash.android.TagLink {
        override fun connect() = throw IOException("gone")
        override fun setTimeout(millis: Int) {}
        override val isExtendedLengthApduSupported = false
        override val maxTransceiveLength = 261
        override fun transceive(command: ByteArray): ByteArray = throw AssertionError("no transceive")
        override fun close() {}
    }
    check(reader.tap(link) is TapResult.Torn) { "Torn" }
    checkEquals(0, factory.created.size, "no session")
}
