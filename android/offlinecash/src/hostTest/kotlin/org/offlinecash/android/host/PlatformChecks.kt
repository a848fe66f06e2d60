// Host checks of the platform classes that need no wallet: the HCE service's own answers,
// the signer and key wrapper around java.security keys (the AndroidKeyStore provider does not
// exist on a host JVM: the instrumented tests cover it), the Keystore key parameters and the
// sync job's scheduling and outcome classification.
package org.offlinecash.android.host

import android.nfc.cardemulation.HostApduService
import android.security.keystore.KeyProperties
import java.io.IOException
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import javax.crypto.KeyGenerator
import org.offlinecash.KeyWrapperException
import org.offlinecash.OfflineCashException
import org.offlinecash.SoftwareKey
import org.offlinecash.Suite
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.HceCard
import org.offlinecash.android.HceListener
import org.offlinecash.android.KeystoreKeyWrapper
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.SyncOutcome
import org.offlinecash.android.SyncTask
import org.offlinecash.android.scenarios.HceServices
import org.offlinecash.android.scenarios.check
import org.offlinecash.android.scenarios.checkBytes
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.android.scenarios.checkThrows
import org.offlinecash.android.scenarios.hexBytes
import org.offlinecash.android.scenarios.statusWord
import org.offlinecash.checkSigner
import kotlinx.coroutines.runBlocking
import org.offlinecash.tests.TestRunner

/** A card that records what the service forwards. */
private class RecordingCard(private val answer: (ByteArray) -> ByteArray) : HceCard {
    val commands = mutableListOf<ByteArray>()
    var deactivations = 0

    override fun processApdu(command: ByteArray): ByteArray = answer(command).also { commands += command }

    override fun deactivated() {
        deactivations++
    }
}

fun softwareSigner(): KeystoreSigner {
    val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    return KeystoreSigner("host-test", privateKey = { pair.private }, publicKey = { pair.public })
}

fun platformChecks(t: TestRunner) {
    t.test("HCE service: nothing armed answers 6A82 (not found), a null APDU 6700") {
        CardSessionRegistry.disarm()
        val service = HceServices.create()
        checkEquals("6A82", service.processCommandApdu(hexBytes("00A4040007F04F434153480100"), null).statusWord(), "unarmed")
        checkEquals("6700", service.processCommandApdu(null, null).statusWord(), "null APDU")
        service.onDeactivated(HostApduService.DEACTIVATION_LINK_LOSS) // nothing armed: no effect, no crash
    }

    t.test("HCE service: forwards APDUs and deactivations to the armed card, reports them to the listener") {
        val card = RecordingCard { hexBytes("CAFE9000") }
        val seen = mutableListOf<String>()
        CardSessionRegistry.arm(card, object : HceListener {
            override fun onApdu(command: ByteArray, response: ByteArray) { seen += "apdu ${response.statusWord()}" }
            override fun onDeactivated(reason: Int) { seen += "deactivated $reason" }
        })
        val service = HceServices.create()
        checkBytes(hexBytes("CAFE9000"), service.processCommandApdu(hexBytes("80100000"), null), "response")
        service.onDeactivated(HostApduService.DEACTIVATION_DESELECTED)
        checkEquals(1, card.commands.size, "commands forwarded")
        checkEquals(1, card.deactivations, "deactivations forwarded")
        checkEquals(listOf("apdu 9000", "deactivated ${HostApduService.DEACTIVATION_DESELECTED}"), seen, "listener")
        CardSessionRegistry.disarm()
        checkEquals("6A82", service.processCommandApdu(hexBytes("80100000"), null).statusWord(), "after disarm")
    }

    t.test("HCE service: a card that throws is answered 6F00, never a crash of the NFC service") {
        CardSessionRegistry.arm(RecordingCard { throw IllegalStateException("native library missing") })
        checkEquals("6F00", HceServices.create().processCommandApdu(hexBytes("80100000"), null).statusWord(), "sw")
        CardSessionRegistry.disarm()
    }

    t.test("KeystoreSigner: SHA256withECDSA DER and a 65-byte SEC1 point pass the core's checkSigner") {
        val signer = softwareSigner()
        val key = signer.publicKey()
        checkEquals(65, key.size, "SEC1 uncompressed length")
        checkEquals(0x04.toByte(), key[0], "SEC1 uncompressed tag")
        val report = checkSigner(signer)
        checkEquals(Suite.ECDSA_P256, report.suite, "suite")
        repeat(10) { checkSigner(signer) } // high-S and low-S DER alike
    }

    t.test("KeystoreSigner: a key that is not P-256 is a SignerException, reported as OfflineCashException.Signer") {
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()
        val signer = KeystoreSigner("rsa", privateKey = { rsa.private }, publicKey = { rsa.public })
        checkThrows<OfflineCashException.Signer>("RSA key") { checkSigner(signer) }
    }

    t.test("KeystoreKeyWrapper: wraps an ML-DSA-44 secret as IV || ciphertext and restores the same key") {
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

    t.test("KeystoreKeyWrapper: a wrong key, altered or short bytes are typed errors") {
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

    t.test("Keystore key parameters: P-256 sign-only SHA-256; AES-256-GCM no padding, randomized") {
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

    t.test("SyncOutcome: success is DONE, an IOException RETRY, a misuse FAILED") {
        runBlocking {
            checkEquals(SyncOutcome.DONE, SyncOutcome.of(SyncTask { }), "success")
            checkEquals(SyncOutcome.RETRY, SyncOutcome.of(SyncTask { throw IOException("no route") }), "io")
            checkEquals(SyncOutcome.FAILED, SyncOutcome.of(SyncTask { throw IllegalStateException("bug") }), "misuse")
        }
    }
}

fun linkChecks(t: TestRunner) {
    t.test("reader + HCE service: a tap completes, the core gets the link's limits, the link is closed") {
        org.offlinecash.android.scenarios.linkTapCompletes()
    }
    t.test("reader + HCE service: a tear at any command (before/after the card answered) is Torn, both sides told once; the retry gets a new session") {
        org.offlinecash.android.scenarios.linkTearThenRetryUsesANewSession()
    }
    t.test("reader: a refusal by the core is Failed, not a tear, and the next tap starts a new session") {
        org.offlinecash.android.scenarios.linkFailureEndsTheSession()
    }
    t.test("reader: a tag lost before connect is Torn and creates no session") {
        org.offlinecash.android.scenarios.linkConnectFailure()
    }
}
