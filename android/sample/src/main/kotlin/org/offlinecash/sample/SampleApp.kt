// The sample's Application: opens the wallet once (hardware key in the Keystore), and is the
// SyncHost the library's SyncJobService asks for the wallet's sync.
package org.offlinecash.sample

import android.app.Application
import java.io.File
import org.offlinecash.Suite
import org.offlinecash.Wallet
import org.offlinecash.WalletConfig
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.SyncHost
import org.offlinecash.android.SyncScheduler
import org.offlinecash.android.SyncTask
import org.offlinecash.checkSigner

class SampleApp : Application(), SyncHost {
    /** The wallet, opened lazily off the main thread by the screens or the sync job (Keystore calls are slow). */
    @Volatile
    var wallet: Wallet? = null
        private set

    @Synchronized
    fun openWallet(): Wallet = wallet ?: run {
        val signer = KeystoreSigner.getOrCreate(this, KEY_ALIAS)
        checkSigner(signer) // a broken keystore fails here, before any payment
        val config = WalletConfig(
            issuerUrl = BuildConfigValues.ISSUER_URL,
            accountCredential = BuildConfigValues.ACCOUNT_CREDENTIAL,
            suite = Suite.ECDSA_P256,
            maxClockSkewSecs = 300uL,
            requestTtlSecs = 600uL,
        )
        Wallet.openHardware(File(filesDir, "wallet.db").path, config, signer, KEY_ALIAS).also { wallet = it }
    }

    override fun onCreate() {
        super.onCreate()
        SyncScheduler.schedulePeriodic(this)
    }

    // Called by the sync job on a background thread, often in a cold process where no screen
    // opened the wallet: open it here.
    override fun offlineCashSync(): SyncTask = SyncTask { openWallet().sync() }

    companion object {
        const val KEY_ALIAS = "offline-cash-wallet"
    }
}

/** Where the sample's issuer is. A real app provisions these at sign-up. */
object BuildConfigValues {
    const val ISSUER_URL = "https://issuer.example"
    const val ACCOUNT_CREDENTIAL = "set-me"
}
