// Kotlin tests of the generated bindings, on the host JVM. The platform pieces are the ones an
// Android app uses: java.security EC keys signing with SHA256withECDSA (DER, exactly what
// Android Keystore returns) and javax.crypto AES/GCM for key wrapping.
package org.offlinecash.tests

import java.math.BigInteger
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.junit.runner.RunWith
import org.offlinecash.CryptoReason
import org.offlinecash.KeyWrapper
import org.offlinecash.KeyWrapperException
import org.offlinecash.OfflineCashException
import org.offlinecash.Signer
import org.offlinecash.SignerException
import org.offlinecash.SoftwareKey
import org.offlinecash.Suite
import org.offlinecash.checkSigner

private val random = SecureRandom()

fun newEcKeyPair(): KeyPair =
    KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

fun fixed32(n: BigInteger): ByteArray {
    val raw = n.toByteArray() // big-endian two's complement: may have a leading 0 or be short
    val out = ByteArray(32)
    val len = minOf(raw.size, 32)
    System.arraycopy(raw, raw.size - len, out, 32 - len, len)
    return out
}

/** The SEC1 point of a P-256 public key, uncompressed (65 bytes) or compressed (33 bytes). */
fun sec1(key: ECPublicKey, compressed: Boolean): ByteArray {
    val x = fixed32(key.w.affineX)
    if (compressed) return byteArrayOf(if (key.w.affineY.testBit(0)) 3 else 2) + x
    return byteArrayOf(4) + x + fixed32(key.w.affineY)
}

/** A platform signer: what an Android app writes around its Keystore key. */
class JavaSecuritySigner(
    private val signWith: KeyPair,
    private val reportKey: KeyPair = signWith,
    private val compressed: Boolean = false,
) : Signer {
    override fun publicKey(): ByteArray = sec1(reportKey.public as ECPublicKey, compressed)

    override fun sign(message: ByteArray): ByteArray =
        java.security.Signature.getInstance("SHA256withECDSA").run {
            initSign(signWith.private)
            update(message)
            sign()
        }
}

/** A key wrapper with an AES-256-GCM key: what an Android app writes around a Keystore AES key. */
class AesGcmKeyWrapper(private val key: SecretKey = newAesKey()) : KeyWrapper {
    override fun wrap(secret: ByteArray): ByteArray {
        val iv = ByteArray(12).also { random.nextBytes(it) }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv))
        return iv + cipher.doFinal(secret)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < 12 + 16) throw KeyWrapperException.Failed(detail = "wrapped key too short")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, 12))
        // A wrong key or altered bytes throw AEADBadTagException: not a KeyWrapperException, so
        // UniFFI reports it to Rust as an unexpected callback error (tested below).
        return cipher.doFinal(wrapped, 12, wrapped.size - 12)
    }

    companion object {
        fun newAesKey(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    }
}

fun randomBytes(n: Int): ByteArray = ByteArray(n).also { random.nextBytes(it) }

/** The Kotlin binding tests, run by JUnit (scripts/test-bindings.sh): these and [walletTests]. */
@RunWith(RegisteredTests::class)
class BindingsTest : RegisteredSuite {
    override fun register(t: TestRunner) {
        bindingsTests(t)
        walletTests(t)
    }
}

fun bindingsTests(t: TestRunner) {

    t.test("a java.security SHA256withECDSA signer passes checkSigner (uncompressed key)") {
        val pair = newEcKeyPair()
        val report = checkSigner(JavaSecuritySigner(pair))
        assertEquals(Suite.ECDSA_P256, report.suite, "suite")
        assertTrue(Regex("[0-9a-f]{64}").matches(report.walletId)) { "wallet id ${report.walletId}" }
        assertBytesEqual(sec1(pair.public as ECPublicKey, compressed = true), report.publicKey, "canonical key")
    }

    t.test("a signer reporting a compressed key passes and has the same wallet id") {
        val pair = newEcKeyPair()
        val a = checkSigner(JavaSecuritySigner(pair, compressed = true))
        val b = checkSigner(JavaSecuritySigner(pair, compressed = false))
        assertEquals(a.walletId, b.walletId, "wallet id")
    }

    t.test("checkSigner is repeatable (many probes, high-S and low-S DER alike)") {
        val signer = JavaSecuritySigner(newEcKeyPair())
        repeat(20) { checkSigner(signer) }
    }

    t.test("a signer that signs with another key than it reports fails with OfflineCashException.Signer") {
        val e = assertThrows<OfflineCashException.Signer>("wrong key") {
            checkSigner(JavaSecuritySigner(signWith = newEcKeyPair(), reportKey = newEcKeyPair()))
        }
        assertTrue(e.detail.contains("does not verify")) { e.detail }
    }

    t.test("a signer throwing SignerException.Failed surfaces its message") {
        val failing = object : Signer {
            override fun publicKey() = sec1(newEcKeyPair().public as ECPublicKey, false)
            override fun sign(message: ByteArray): ByteArray =
                throw SignerException.Failed(detail = "user not authenticated")
        }
        val e = assertThrows<OfflineCashException.Signer>("failing signer") { checkSigner(failing) }
        assertTrue(e.detail.contains("user not authenticated")) { e.detail }
    }

    t.test("a signer throwing an arbitrary exception is a typed error, not a crash") {
        val broken = object : Signer {
            override fun publicKey(): ByteArray = throw IllegalStateException("keystore gone")
            override fun sign(message: ByteArray): ByteArray = throw IllegalStateException("unreachable")
        }
        val e = assertThrows<OfflineCashException.Signer>("broken signer") { checkSigner(broken) }
        assertTrue(e.detail.contains("keystore gone")) { e.detail }
        val brokenSign = object : Signer {
            override fun publicKey() = sec1(newEcKeyPair().public as ECPublicKey, false)
            override fun sign(message: ByteArray): ByteArray = throw java.security.SignatureException("hw fault")
        }
        assertThrows<OfflineCashException.Signer>("broken sign") { checkSigner(brokenSign) }
    }

    t.test("garbage public keys and signatures from a signer are typed errors") {
        val good = newEcKeyPair()
        for (size in listOf(0, 1, 32, 33, 64, 65, 66, 200)) {
            val badKey = object : Signer {
                override fun publicKey() = randomBytes(size)
                override fun sign(message: ByteArray) = JavaSecuritySigner(good).sign(message)
            }
            assertThrows<OfflineCashException.Signer>("public key of $size random bytes") { checkSigner(badKey) }
            val badSig = object : Signer {
                override fun publicKey() = sec1(good.public as ECPublicKey, false)
                override fun sign(message: ByteArray) = randomBytes(size)
            }
            assertThrows<OfflineCashException.Signer>("signature of $size random bytes") { checkSigner(badSig) }
        }
    }

    t.test("an AES/GCM KeyWrapper wraps and unwraps a SoftwareKey of every suite") {
        val wrapper = AesGcmKeyWrapper()
        for (suite in Suite.values()) {
            SoftwareKey.generate(suite).use { key ->
                assertEquals(suite, key.suite(), "suite")
                val blob = key.wrap(wrapper)
                SoftwareKey.unwrap(blob, wrapper).use { restored ->
                    assertEquals(suite, restored.suite(), "$suite restored suite")
                    assertBytesEqual(key.publicKey(), restored.publicKey(), "$suite public key")
                    assertEquals(key.walletId(), restored.walletId(), "$suite wallet id")
                }
            }
        }
    }

    t.test("unwrapping with another AES key fails with OfflineCashException.KeyWrap") {
        val blob = SoftwareKey.generate(Suite.ECDSA_P256).use { it.wrap(AesGcmKeyWrapper()) }
        assertThrows<OfflineCashException.KeyWrap>("other wrapper key") { SoftwareKey.unwrap(blob, AesGcmKeyWrapper()) }
    }

    t.test("a wrapper that throws KeyWrapperException.Failed surfaces its message") {
        val locked = object : KeyWrapper {
            override fun wrap(secret: ByteArray): ByteArray = throw KeyWrapperException.Failed(detail = "keystore locked")
            override fun unwrap(wrapped: ByteArray): ByteArray = throw KeyWrapperException.Failed(detail = "keystore locked")
        }
        val e = assertThrows<OfflineCashException.KeyWrap>("locked") { SoftwareKey.generate(Suite.ML_DSA44).use { it.wrap(locked) } }
        assertTrue(e.detail.contains("keystore locked")) { e.detail }
    }

    t.test("a wrapper returning garbage on unwrap is OfflineCashException.KeyWrap") {
        val wrapper = AesGcmKeyWrapper()
        for (suite in Suite.values()) {
            val blob = SoftwareKey.generate(suite).use { it.wrap(wrapper) }
            for (size in listOf(0, 31, 32, 33, 2560, 2592, 4000)) {
                val liar = object : KeyWrapper {
                    override fun wrap(secret: ByteArray) = wrapper.wrap(secret)
                    override fun unwrap(wrapped: ByteArray) = randomBytes(size)
                }
                assertThrows<OfflineCashException.KeyWrap>("$suite, $size garbage bytes") { SoftwareKey.unwrap(blob, liar) }
            }
        }
    }

    t.test("garbage or altered wrapped-key bytes are typed exceptions, never a crash") {
        val wrapper = AesGcmKeyWrapper()
        repeat(200) { i ->
            assertThrows<OfflineCashException>("random blob #$i") { SoftwareKey.unwrap(randomBytes(i * 7), wrapper) }
        }
        assertThrows<OfflineCashException>("1 MiB blob") { SoftwareKey.unwrap(ByteArray(1 shl 20), wrapper) }
        val blob = SoftwareKey.generate(Suite.ECDSA_P256).use { it.wrap(wrapper) }
        for (cut in 0 until blob.size) {
            assertThrows<OfflineCashException>("truncated at $cut") { SoftwareKey.unwrap(blob.copyOf(cut), wrapper) }
        }
        for (i in blob.indices) {
            val altered = blob.copyOf().also { it[i] = (it[i].toInt() xor 0x01).toByte() }
            assertThrows<OfflineCashException>("bit flipped at $i") { SoftwareKey.unwrap(altered, wrapper) }
        }
        val e = assertThrows<OfflineCashException.Malformed>("trailing byte") { SoftwareKey.unwrap(blob + byteArrayOf(0), wrapper) }
        assertTrue(e.detail.contains("trailing")) { e.detail }
    }

    t.test("a corrupted public key inside the blob is OfflineCashException.Crypto(INVALID_PUBLIC_KEY)") {
        val wrapper = AesGcmKeyWrapper()
        val blob = SoftwareKey.generate(Suite.ECDSA_P256).use { it.wrap(wrapper) }
        // Layout: 83 01 82 01 58 21 <33-byte SEC1 key> …: replace the SEC1 tag (02/03) by 07.
        val altered = blob.copyOf().also { it[6] = 0x07 }
        val e = assertThrows<OfflineCashException.Crypto>("bad key") { SoftwareKey.unwrap(altered, wrapper) }
        assertEquals(CryptoReason.INVALID_PUBLIC_KEY, e.reason, "reason")
    }

}
