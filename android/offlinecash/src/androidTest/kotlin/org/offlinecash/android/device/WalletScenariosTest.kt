// On-device runs of the shared payment scenarios (src/sharedTest): the real HCE service and
// reader classes on Android's own runtime, with real wallets at an issuer given by
// instrumentation arguments:
//
//   ./gradlew connectedAndroidTest \
//     -Pandroid.testInstrumentationRunnerArguments.issuerUrl=http://10.0.2.2:8080 \
//     -Pandroid.testInstrumentationRunnerArguments.adminToken=…
//
// Without an issuer URL these tests are skipped (assumption failure), not passed.
package org.offlinecash.android.device

import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import java.io.File
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.Suite
import org.offlinecash.NfcRole
import org.offlinecash.Wallet
import org.offlinecash.WalletConfig
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.CoreReader
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.scenarios.HceServices
import org.offlinecash.android.OfflineCashReader
import org.offlinecash.android.arm
import org.offlinecash.android.scenarios.HceLink
import org.offlinecash.android.scenarios.IssuerAccess
import org.offlinecash.android.scenarios.IssuerWalletPair
import org.offlinecash.android.scenarios.Tear
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.android.scenarios.fundedWallet
import org.offlinecash.android.scenarios.fullPaymentOverHce
import org.offlinecash.android.scenarios.tornTapThenRetry
import kotlinx.coroutines.runBlocking

@RunWith(AndroidJUnit4::class)
class WalletScenariosTest {
    private val instrumentation = InstrumentationRegistry.getInstrumentation()
    private val dir: File = instrumentation.targetContext.cacheDir
    private lateinit var issuer: IssuerAccess

    @Before
    fun issuer() {
        val args = InstrumentationRegistry.getArguments()
        val url = args.getString("issuerUrl")
        assumeTrue("no issuerUrl instrumentation argument: payment scenarios skipped", url != null)
        issuer = IssuerAccess(url!!, args.getString("adminToken") ?: "admin-secret")
    }

    @Test
    fun fullPaymentThroughTheHceService() {
        IssuerWalletPair(issuer, dir, listOf(1_000)).use { fullPaymentOverHce(it, 700) }
    }

    @Test
    fun tearThenRetry() {
        for (at in 0 until 3) {
            IssuerWalletPair(issuer, dir, listOf(1_000)).use { tornTapThenRetry(it, 600, Tear(at, afterCardAnswered = true)) }
        }
    }

    /** A payer whose key is a real Keystore P-256 key (StrongBox when present) pays through HCE. */
    @Test
    fun keystoreKeySignsAPayment() {
        val context = instrumentation.targetContext
        val alias = "offlinecash-test-payer"
        val signer = KeystoreSigner.getOrCreate(context, alias)
        val credential = issuer.createAccount(1_000)
        val config = WalletConfig(issuer.url, credential, Suite.ECDSA_P256, 300uL, 600uL)
        Wallet.openHardware(File(dir, "hw-${System.nanoTime()}.db").path, config, signer, alias).use { payer ->
            runBlocking {
                payer.register()
                payer.fund(listOf(1_000uL))
            }
            fundedWallet(issuer, dir, emptyList()).use { payee ->
                CardSessionRegistry.arm(payee.cardSession(NfcRole.PAYEE, 250uL, false))
                try {
                    val reader = OfflineCashReader({ e, m -> CoreReader(payer.readerSession(NfcRole.PAYER, null, e, m.toUInt())) }, {})
                    checkEquals(OfflineCashReader.TapResult.Completed, reader.tap(HceLink(HceServices.create())), "tap")
                    checkEquals(750uL, payer.balance().spendable, "payer")
                    checkEquals(250uL, payee.balance().spendable, "payee")
                } finally {
                    CardSessionRegistry.disarm()
                }
            }
        }
    }
}
