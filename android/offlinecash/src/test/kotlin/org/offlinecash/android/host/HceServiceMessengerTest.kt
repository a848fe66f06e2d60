// The HCE service bound and driven as Android's NFC service drives it: through the binder its
// onBind returns (HostApduService's Messenger), on the main looper, with the core's work and
// the answer (sendResponseApdu) on the service's worker thread.
package org.offlinecash.android.host

import android.content.Intent
import android.nfc.cardemulation.HostApduService
import android.os.Looper
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.HceCard
import org.offlinecash.android.HceListener
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.scenarios.HceField
import org.offlinecash.android.scenarios.HceServices
import org.offlinecash.android.scenarios.hexBytes
import org.offlinecash.android.scenarios.statusWord
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowSystemClock

/** A card that records what it is told, and on which thread. */
class RecordingCard(private val answer: (ByteArray) -> ByteArray = { hexBytes("CAFE9000") }) : HceCard {
    val commands = mutableListOf<ByteArray>()
    val threads = mutableListOf<String>()
    var deactivations = 0
    var finishAfter = Int.MAX_VALUE

    override fun processApdu(command: ByteArray): ByteArray {
        threads += Thread.currentThread().name
        return answer(command).also { commands += command }
    }

    override fun deactivated() {
        threads += Thread.currentThread().name
        deactivations++
    }

    override val isFinished: Boolean
        get() = commands.size >= finishAfter
}

@RunWith(RobolectricTestRunner::class)
class HceServiceMessengerTest {
    private val select = hexBytes("00A4040007F04F434153480100")
    private val command = hexBytes("80100000")

    @Before
    fun install() = RobolectricHce.install()

    @After
    fun disarm() = CardSessionRegistry.disarm()

    private fun bound(): Pair<OfflineCashHceService, HceField> {
        val controller = Robolectric.buildService(OfflineCashHceService::class.java, Intent(HostApduService.SERVICE_INTERFACE)).create()
        val service = controller.get()
        return service to HceField(service)
    }

    @Test
    fun binderProtocolConstantsAreTheFrameworks() {
        fun hidden(name: String): Any? = HostApduService::class.java.getField(name).get(null)
        assertEquals(hidden("MSG_COMMAND_APDU"), HceField.MSG_COMMAND_APDU)
        assertEquals(hidden("MSG_RESPONSE_APDU"), HceField.MSG_RESPONSE_APDU)
        assertEquals(hidden("MSG_DEACTIVATED"), HceField.MSG_DEACTIVATED)
        assertEquals(hidden("KEY_DATA"), HceField.KEY_DATA)
    }

    @Test
    fun nothingArmedAnswers6A82AtOnceAndANullApdu6700() {
        val (service, field) = bound()
        assertEquals("6A82", field.command(select).statusWord())
        assertEquals("6700", service.processCommandApdu(null, null)?.statusWord())
        field.deactivate(HostApduService.DEACTIVATION_LINK_LOSS) // nothing armed: no effect
    }

    @Test
    fun anArmedCardIsAnsweredLaterFromTheWorkerNeverOnTheMainThread() {
        val card = RecordingCard()
        CardSessionRegistry.arm(card)
        val (service, field) = bound()
        // The platform's contract for a late answer: null now, sendResponseApdu later.
        assertNull(service.processCommandApdu(command, null))
        assertTrue(service.awaitWorker(5_000))
        assertArrayEquals(hexBytes("CAFE9000"), field.command(command))
        assertEquals(listOf(OfflineCashHceService.WORKER_THREAD_NAME, OfflineCashHceService.WORKER_THREAD_NAME), card.threads)
        assertFalse(card.threads.contains(Looper.getMainLooper().thread.name))
    }

    @Test
    fun theMainLooperRunsWhileTheCoreWorks() {
        // The core's work waits for the main looper to run a message posted meanwhile: only
        // possible if that work is not itself on the main thread.
        CardSessionRegistry.arm(RecordingCard {
            val mainRan = CountDownLatch(1)
            android.os.Handler(Looper.getMainLooper()).post { mainRan.countDown() }
            check(mainRan.await(2, TimeUnit.SECONDS)) { "the main looper is blocked by the core's work" }
            hexBytes("9000")
        })
        assertEquals("9000", bound().second.command(command).statusWord())
    }

    @Test
    fun deactivationReachesTheCardAfterItsPendingAnswerAndTheListener() {
        val seen = mutableListOf<String>()
        val card = RecordingCard()
        CardSessionRegistry.arm(card, object : HceListener {
            override fun onApdu(command: ByteArray, response: ByteArray) { seen += "apdu ${response.statusWord()}" }
            override fun onDeactivated(reason: Int) { seen += "deactivated $reason" }
        })
        val (_, field) = bound()
        assertEquals("9000", field.command(command).statusWord())
        field.deactivate(HostApduService.DEACTIVATION_DESELECTED)
        assertEquals(1, card.commands.size)
        assertEquals(1, card.deactivations)
        assertEquals(listOf("apdu 9000", "deactivated ${HostApduService.DEACTIVATION_DESELECTED}"), seen)
        CardSessionRegistry.disarm()
        assertEquals("6A82", field.command(command).statusWord())
    }

    @Test
    fun aCardThatThrowsIsAnswered6F00() {
        CardSessionRegistry.arm(RecordingCard { throw IllegalStateException("native library missing") })
        assertEquals("6F00", bound().second.command(command).statusWord())
    }

    @Test
    fun aCompletedPaymentDisarmsTheRegistry() {
        val card = RecordingCard().apply { finishAfter = 2 }
        CardSessionRegistry.arm(card)
        val (_, field) = bound()
        assertEquals("9000", field.command(command).statusWord())
        assertTrue(CardSessionRegistry.isArmed)
        assertEquals("9000", field.command(command).statusWord())
        assertFalse("disarmed after the payment completed", CardSessionRegistry.isArmed)
        assertEquals("6A82", field.command(command).statusWord())
        assertEquals(2, card.commands.size)
    }

    @Test
    fun anArmedCardExpiresAtItsDeadline() {
        val card = RecordingCard()
        CardSessionRegistry.arm(card, timeoutMillis = 30_000)
        val (_, field) = bound()
        ShadowSystemClock.advanceBy(Duration.ofMillis(29_999))
        assertEquals("9000", field.command(command).statusWord())
        ShadowSystemClock.advanceBy(Duration.ofMillis(1))
        assertFalse(CardSessionRegistry.isArmed)
        assertEquals("6A82", field.command(command).statusWord())
        assertEquals(1, card.commands.size)
    }

    @Test
    fun theDeviceTestsBuildTheServiceOnTheMainThreadFromALooperlessThread() {
        // The instrumentation runner's thread has no Looper: HostApduService's constructor
        // (a Handler) would throw there. buildOnMain hands the construction to the main thread.
        var built: Result<OfflineCashHceService>? = null
        val asker = Thread { built = runCatching { HceServices.buildOnMain() } }.apply { start() }
        val deadline = System.currentTimeMillis() + 5_000
        while (asker.isAlive && System.currentTimeMillis() < deadline) {
            shadowOf(Looper.getMainLooper()).idle()
            Thread.sleep(1)
        }
        asker.join(1_000)
        val service = built?.getOrThrow() ?: throw AssertionError("not built")
        assertEquals("6A82", HceField(service).command(select).statusWord())
    }

    @Test
    fun aLooperlessThreadCannotBuildTheServiceItself() {
        var failure: Throwable? = null
        Thread { failure = runCatching { OfflineCashHceService() }.exceptionOrNull() }.apply { start() }.join()
        assertTrue("expected the Handler to need a Looper, got $failure", failure is RuntimeException)
    }
}
