// The platform classes that need no wallet, under Robolectric: the signer and key wrapper
// around java.security keys (AndroidKeyStore itself exists only on a device: the instrumented
// KeystoreTest covers it), the Keystore key parameters and the sync outcome classification.
package org.offlinecash.android.host

import android.security.keystore.KeyProperties
import java.io.IOException
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import javax.crypto.KeyGenerator
import kotlinx.coroutines.runBlocking
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.KeyWrapperException
import org.offlinecash.OfflineCashException
import org.offlinecash.SoftwareKey
import org.offlinecash.Suite
import org.offlinecash.android.KeystoreKeyWrapper
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.SyncOutcome
import org.offlinecash.android.SyncTask
import org.offlinecash.android.scenarios.check
import org.offlinecash.android.scenarios.checkBytes
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.android.scenarios.checkThrows
import org.offlinecash.checkSigner
import org.robolectric.RobolectricTestRunner

fun softwareSigner(): KeystoreSigner {
    val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    return KeystoreSigner("host-test", privateKey = { pair.private }, publicKey = { pair.public })
}

@RunWith(RobolectricTestRunner::class)
class PlatformTest {
    /** KeystoreSigner: SHA256withECDSA DER and a 65-byte SEC1 point pass the core's checkSigner */
    @Test
    fun keystoreSignerDerAndSec1PassTheCoresCheckSigner() {
        val signer = softwareSigner()
        val key = signer.publicKey()
        checkEquals(65, key.size, "SEC1 uncompressed length")
        checkEquals(0x04.toByte(), key[0], "SEC1 uncompressed tag")
        val report = checkSigner(signer)
        checkEquals(Suite.ECDSA_P256, report.suite, "suite")
        repeat(10) { checkSigner(signer) } // high-S and low-S DER alike
    }

    /** KeystoreSigner: a key that is not P-256 is a SignerException, reported as OfflineCashException.Signer */
    @Test
    fun aKeyThatIsNotP256IsASignerError() {
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()
        val signer = KeystoreSigner("rsa", privateKey = { rsa.private }, publicKey = { rsa.public })
        checkThrows<OfflineCashException.Signer>("RSA key") { checkSigner(signer) }
    }

    /** KeystoreKeyWrapper: wraps an ML-DSA-44 secret as IV || ciphertext and restores the same key */
    @Test
    fun keyWrapperRoundTripsAnMlDsaSecret() {
        val wrapper = KeystoreKeyWrapper.withKey(KeyGenerator.getInstance("AES").apply { init(256) }.generateKey())
        val secret = ByteArray(32) { it.toByte() }
        val wrapped = wrapper.wrap(secret)
        checkEquals(12 + secret.size + 16, wrapped.size, "IV + ciphertext + tag")
        checkBytes(secret, wrapper.unwrap(wrapped), "round trip")
        SoftwareKey.generate(Suite.ML_DSA44).use { key ->
            val blob = key.wrap(wrapper)
            SoftwareKey.unwrap(blob, wrapper).use { checkEquals(key.walletId(), it.walletId(), "wallet id") }
        }
    }

    /** KeystoreKeyWrapper: a wrong key, altered or short bytes are typed errors */
    @Test
    fun keyWrapperFailuresAreTypedErrors() {
        val aes = KeyGenerator.getInstance("AES").apply { init(256) }
        val wrapper = KeystoreKeyWrapper.withKey(aes.generateKey())
        val other = KeystoreKeyWrapper.withKey(aes.generateKey())
        val wrapped = wrapper.wrap(ByteArray(64) { 7 })
        checkThrows<KeyWrapperException.Failed>("wrong key") { other.unwrap(wrapped) }
        val altered = wrapped.copyOf().also { it[20] = (it[20].toInt() xor 1).toByte() }
        checkThrows<KeyWrapperException.Failed>("altered") { wrapper.unwrap(altered) }
        checkThrows<KeyWrapperException.Failed>("short") { wrapper.unwrap(ByteArray(27)) }
        SoftwareKey.generate(Suite.ECDSA_P256).use { key ->
            val blob = key.wrap(wrapper)
            checkThrows<OfflineCashException.KeyWrap>("unwrap with another key") { SoftwareKey.unwrap(blob, other) }
        }
    }

    /** Keystore key parameters: P-256 sign-only SHA-256; AES-256-GCM no padding, randomized */
    @Test
    fun keystoreKeyParameters() {
        val ec = KeystoreSigner.keySpec("alias", strongBox = false)
        checkEquals(KeyProperties.PURPOSE_SIGN or KeyProperties.PURPOSE_VERIFY, ec.purposes, "EC purposes")
        checkEquals(listOf(KeyProperties.DIGEST_SHA256), ec.digests.toList(), "EC digests")
        checkEquals("secp256r1", (ec.algorithmParameterSpec as ECGenParameterSpec).name, "curve")
        check(!ec.isStrongBoxBacked) { "StrongBox not asked" }
        check(KeystoreSigner.keySpec("alias", strongBox = true).isStrongBoxBacked) { "StrongBox asked" }
        val aes = KeystoreKeyWrapper.keySpec("wrap", strongBox = false)
        checkEquals(256, aes.keySize, "AES key size")
        checkEquals(listOf(KeyProperties.BLOCK_MODE_GCM), aes.blockModes.toList(), "block modes")
        checkEquals(listOf(KeyProperties.ENCRYPTION_PADDING_NONE), aes.encryptionPaddings.toList(), "paddings")
        check(aes.isRandomizedEncryptionRequired) { "randomized encryption" }
    }

    /** SyncOutcome: success is DONE, an IOException RETRY, a misuse FAILED */
    @Test
    fun syncOutcomeClassifiesFailures() {
        runBlocking {
            checkEquals(SyncOutcome.DONE, SyncOutcome.of(SyncTask { }), "success")
            checkEquals(SyncOutcome.RETRY, SyncOutcome.of(SyncTask { throw IOException("no route") }), "io")
            checkEquals(SyncOutcome.FAILED, SyncOutcome.of(SyncTask { throw IllegalStateException("bug") }), "misuse")
        }
    }
}
