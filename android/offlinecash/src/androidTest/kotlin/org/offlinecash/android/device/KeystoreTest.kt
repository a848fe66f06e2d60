// On-device only: real AndroidKeyStore keys (StrongBox when present) behind the library's
// KeystoreSigner and KeystoreKeyWrapper, checked by the core.
package org.offlinecash.android.device

import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import java.security.KeyStore
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.SoftwareKey
import org.offlinecash.Suite
import org.offlinecash.android.KeystoreKeyWrapper
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.checkSigner

@RunWith(AndroidJUnit4::class)
class KeystoreTest {
    private val context = InstrumentationRegistry.getInstrumentation().targetContext
    private val signerAlias = "offlinecash-test-signer"
    private val wrapAlias = "offlinecash-test-wrap"

    @After
    fun deleteKeys() {
        KeyStore.getInstance(KeystoreSigner.ANDROID_KEYSTORE).apply {
            load(null)
            deleteEntry(signerAlias)
            deleteEntry(wrapAlias)
        }
    }

    @Test
    fun keystoreP256KeyPassesCheckSigner() {
        val signer = KeystoreSigner.getOrCreate(context, signerAlias)
        val report = checkSigner(signer)
        checkEquals(Suite.ECDSA_P256, report.suite, "suite")
        checkEquals(65, signer.publicKey().size, "SEC1 uncompressed")
        // Same key on a second open: same wallet id.
        checkEquals(report.walletId, checkSigner(KeystoreSigner.getOrCreate(context, signerAlias)).walletId, "wallet id")
    }

    @Test
    fun keystoreAesKeyWrapsAnMlDsaSecret() {
        val wrapper = KeystoreKeyWrapper.getOrCreate(context, wrapAlias)
        SoftwareKey.generate(Suite.ML_DSA44).use { key ->
            val blob = key.wrap(wrapper)
            SoftwareKey.unwrap(blob, KeystoreKeyWrapper.getOrCreate(context, wrapAlias)).use {
                checkEquals(key.walletId(), it.walletId(), "wallet id")
            }
        }
    }
}
