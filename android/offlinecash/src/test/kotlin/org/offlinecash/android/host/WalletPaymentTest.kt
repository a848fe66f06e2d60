// Payments between real wallets (the bindings over the host build of the core) at a real
// issuer process on 127.0.0.1, through the real OfflineCashHceService (bound, Messenger path,
// worker answers) and OfflineCashReader, under Robolectric.
package org.offlinecash.android.host

import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Before
import org.junit.BeforeClass
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.SyncOutcome
import org.offlinecash.android.SyncTask
import org.offlinecash.android.scenarios.IssuerAccess
import org.offlinecash.android.scenarios.IssuerWalletPair
import org.offlinecash.android.scenarios.RetryOutcome
import org.offlinecash.android.scenarios.Tear
import org.offlinecash.android.scenarios.aidMatchesCore
import org.offlinecash.android.scenarios.check
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.android.scenarios.commandsPerPayment
import org.offlinecash.android.scenarios.fullPaymentOverHce
import org.offlinecash.android.scenarios.tornTapThenRetry
import org.robolectric.RobolectricTestRunner

@RunWith(RobolectricTestRunner::class)
class WalletPaymentTest {
    companion object {
        private val dir: File = Files.createTempDirectory("oc-android-host").toFile()
        private var issuer: IssuerProcess? = null

        fun access(): IssuerAccess {
            val binary = File(System.getProperty("offlinecash.issuer") ?: "target/debug/offline-cash-issuer")
            val running = issuer ?: IssuerProcess(binary, dir).also { issuer = it }
            return IssuerAccess(running.url, ADMIN_TOKEN)
        }

        @JvmStatic
        @BeforeClass
        fun start() {
            access()
        }

        @JvmStatic
        @AfterClass
        fun stop() {
            issuer?.stop()
            issuer = null
        }
    }

    @Before
    fun install() = RobolectricHce.install()

    @Test
    fun theAidInApduServiceIsTheOneTheCoreSelects() {
        IssuerWalletPair(access(), dir, listOf(500)).use {
            aidMatchesCore(it, File(androidDir(), "offlinecash/src/main/res/xml/apduservice.xml"))
        }
    }

    @Test
    fun aFullPaymentWithShortApdusAndASecondFromTheChange() {
        IssuerWalletPair(access(), dir, listOf(1_000, 250)).use { pair ->
            fullPaymentOverHce(pair, 700)
            fullPaymentOverHce(pair, 300)
        }
    }

    @Test
    fun aFullPaymentWithExtendedLengthApdus() {
        IssuerWalletPair(access(), dir, listOf(1_000)).use { fullPaymentOverHce(it, 400, extended = true, maxTransceive = 65_546) }
    }

    /** A tap torn at every command (before/after the card answered), then a second tap with new sessions: paid exactly once. */
    @Test
    fun aTearAtEveryCommandIsCompletedByTheNextTap() {
        val commands = IssuerWalletPair(access(), dir, listOf(1_000)).use { commandsPerPayment(it, 10) }
        check(commands >= 3) { "commands per payment: $commands" }
        val failures = mutableListOf<String>()
        val leftPending = mutableListOf<Tear>()
        for (at in 0 until commands) {
            for (after in listOf(false, true)) {
                try {
                    IssuerWalletPair(access(), dir, listOf(1_000)).use {
                        if (tornTapThenRetry(it, 600, Tear(at, after)) == RetryOutcome.LEFT_PENDING) leftPending += Tear(at, after)
                    }
                } catch (e: AssertionError) {
                    failures += "${Tear(at, after)}: ${e.message}"
                }
            }
        }
        check(failures.isEmpty()) { "of ${2 * commands} tears, ${failures.size} failed:\n" + failures.joinToString("\n") }
        check(leftPending.isEmpty()) { "tears not completed by the second tap: $leftPending" }
    }

    /** SyncJobService's task: the payee's real wallet.sync() is DONE; with the issuer down it is RETRY. */
    @Test
    fun realSyncIsDoneOnlineAndRetriedWithTheIssuerDown() {
        IssuerWalletPair(access(), dir, listOf(1_000)).use { pair ->
            fullPaymentOverHce(pair, 100)
            runBlocking {
                checkEquals(SyncOutcome.DONE, SyncOutcome.of(SyncTask { pair.payee.sync() }), "online sync")
                stop()
                checkEquals(SyncOutcome.RETRY, SyncOutcome.of(SyncTask { pair.payer.sync() }), "issuer down")
            }
        }
    }
}
