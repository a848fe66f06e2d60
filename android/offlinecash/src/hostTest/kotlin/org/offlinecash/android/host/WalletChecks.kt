// Host payment checks: a real issuer process on 127.0.0.1, real wallets opened through the
// bindings, and the real OfflineCashHceService / OfflineCashReader between them.
package org.offlinecash.android.host

import java.io.File
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URL
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
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
import org.offlinecash.tests.TestRunner

private const val ADMIN_TOKEN = "android-host-check-admin"

/** `offline-cash-issuer serve` on a free loopback port, stopped by [close]. */
class IssuerProcess(binary: File, dir: File) : AutoCloseable {
    val url: String
    private val process: Process

    init {
        val port = ServerSocket(0).use { it.localPort }
        url = "http://127.0.0.1:$port"
        process = ProcessBuilder(
            binary.path, "serve", "--db", File(dir, "issuer.db").path,
            "--listen", "127.0.0.1:$port", "--admin-token", ADMIN_TOKEN,
        ).redirectErrorStream(true).redirectOutput(File(dir, "issuer.log")).start()
        waitUntilUp()
    }

    private fun waitUntilUp() {
        repeat(200) {
            check(process.isAlive) { "issuer exited (see its log in the temp dir)" }
            try {
                (URL("$url/v1/admin/accounts").openConnection() as HttpURLConnection).apply {
                    connectTimeout = 200
                    readTimeout = 1000
                }.responseCode
                return
            } catch (e: java.io.IOException) {
                Thread.sleep(50)
            }
        }
        throw AssertionError("issuer did not start at $url")
    }

    fun stop() {
        process.destroy()
        process.waitFor(5, TimeUnit.SECONDS)
    }

    override fun close() = stop()
}

fun walletChecks(t: TestRunner, apduService: File) {
    val binary = File(System.getProperty("offlinecash.issuer") ?: "target/debug/offline-cash-issuer")
    val dir = Files.createTempDirectory("oc-android-host").toFile()
    var issuer: IssuerProcess? = null
    fun access(): IssuerAccess {
        val running = issuer ?: IssuerProcess(binary, dir).also { issuer = it }
        return IssuerAccess(running.url, ADMIN_TOKEN)
    }

    t.test("the AID in apduservice.xml is the one the core SELECTs (first APDU of a real tap)") {
        IssuerWalletPair(access(), dir, listOf(500)).use { aidMatchesCore(it, apduService) }
    }

    t.test("a full payment: the payee wallet answers in OfflineCashHceService, the payer's ReaderSession drives it (short APDUs)") {
        IssuerWalletPair(access(), dir, listOf(1_000, 250)).use { pair ->
            fullPaymentOverHce(pair, 700)
            fullPaymentOverHce(pair, 300) // a second payment from the change
        }
    }

    t.test("a full payment with extended-length APDUs and a 65 KiB transceive limit") {
        IssuerWalletPair(access(), dir, listOf(1_000)).use { fullPaymentOverHce(it, 400, extended = true, maxTransceive = 65_546) }
    }

    t.test("a tap torn at every command (before/after the card answered, onDeactivated), then a second tap with new sessions: paid exactly once") {
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
        // With new sessions on both phones for the second tap (the bindings' contract), every
        // tear completes: none may be left pending.
        check(leftPending.isEmpty()) { "tears not completed by the second tap: $leftPending" }
    }

    t.test("SyncJobService's task: the payee's real wallet.sync() is DONE; with the issuer down it is RETRY") {
        IssuerWalletPair(access(), dir, listOf(1_000)).use { pair ->
            fullPaymentOverHce(pair, 100)
            runBlocking {
                checkEquals(SyncOutcome.DONE, SyncOutcome.of(SyncTask { pair.payee.sync() }), "online sync")
                issuer?.stop()
                issuer = null
                checkEquals(SyncOutcome.RETRY, SyncOutcome.of(SyncTask { pair.payer.sync() }), "issuer down")
            }
        }
    }

    Runtime.getRuntime().addShutdownHook(Thread { issuer?.stop() })
}
