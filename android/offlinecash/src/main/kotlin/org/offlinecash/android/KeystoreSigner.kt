// The wallet's hardware key: an ECDSA P-256 key in the Android Keystore (StrongBox when the
// device has one), behind the core's Signer interface.
//
//   core ──message──► KeystoreSigner.sign ──► Signature("SHA256withECDSA") in the TEE/StrongBox
//        ◄──DER────────
//
// The private key never leaves the secure hardware (Keystore keys are not exportable). This
// class only signs what the core hands it; it does not decide what to sign.
//
// Key attestation (registration): createAttested generates the key with the issuer's
// challenge (setAttestationChallenge), and attestationChain exports the Keystore's
// certificate chain for it, DER, leaf first, for the registration to carry; the issuer
// verifies it (issuer/src/attestation/) and gives the wallet the tier it proves.
package org.offlinecash.android

import android.content.Context
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyProperties
import java.math.BigInteger
import java.security.GeneralSecurityException
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.ProviderException
import java.security.PublicKey
import java.security.Signature
import java.security.cert.Certificate
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import org.offlinecash.Signer
import org.offlinecash.SignerException

/**
 * A [Signer] over the Keystore key [alias]. Create it with [getOrCreate]; run the bindings'
 * `checkSigner` once after creating the key.
 *
 * Signing can take hundreds of milliseconds on StrongBox: the core calls it on whatever
 * thread called the core, so call payments off the UI thread where you can.
 */
class KeystoreSigner internal constructor(
    private val alias: String,
    private val privateKey: () -> PrivateKey,
    private val publicKey: () -> PublicKey,
) : Signer {

    override fun publicKey(): ByteArray = try {
        sec1Uncompressed(publicKey.invoke())
    } catch (e: GeneralSecurityException) {
        throw SignerException.Failed(detail = "Keystore key $alias: $e")
    } catch (e: ProviderException) {
        throw SignerException.Failed(detail = "Keystore key $alias: $e")
    }

    override fun sign(message: ByteArray): ByteArray = try {
        Signature.getInstance(SIGNATURE_ALGORITHM).run {
            initSign(privateKey.invoke())
            update(message)
            sign() // ASN.1 DER ECDSA-Sig-Value: what the core expects
        }
    } catch (e: GeneralSecurityException) {
        // Includes KeyPermanentlyInvalidatedException and UserNotAuthenticatedException.
        throw SignerException.Failed(detail = "Keystore key $alias: $e")
    } catch (e: ProviderException) {
        throw SignerException.Failed(detail = "Keystore key $alias: $e")
    }

    companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val SIGNATURE_ALGORITHM = "SHA256withECDSA"

        /**
         * The signer over the Keystore key [alias], generating a P-256 signing key first if
         * there is none (in StrongBox when the device has one, else in the TEE).
         */
        @JvmStatic
        fun getOrCreate(context: Context, alias: String): KeystoreSigner {
            val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            if (!keyStore.containsAlias(alias)) generate(context, alias)
            return KeystoreSigner(
                alias,
                privateKey = {
                    keyStore.getKey(alias, null) as? PrivateKey
                        ?: throw SignerException.Failed(detail = "no private key under $alias")
                },
                publicKey = {
                    keyStore.getCertificate(alias)?.publicKey
                        ?: throw SignerException.Failed(detail = "no certificate under $alias")
                },
            )
        }

        /**
         * A new signer over a P-256 key generated under [alias] with the issuer's attestation
         * [challenge] (in StrongBox when the device has one, else in the TEE). The key's
         * attestation answers that one challenge, so a key that already exists under [alias]
         * is refused (register under a new alias) rather than replaced. Send
         * [attestationChain] with the registration.
         */
        @JvmStatic
        fun createAttested(context: Context, alias: String, challenge: ByteArray): KeystoreSigner {
            val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            if (keyStore.containsAlias(alias)) {
                throw SignerException.Failed(detail = "a key exists under $alias: its attestation answers another challenge")
            }
            val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE)
            generateAttested(context, alias, challenge) { spec ->
                generator.initialize(spec)
                generator.generateKeyPair()
            }
            return getOrCreate(context, alias)
        }

        /**
         * Generates through [generate] with the attestation [challenge]: first a StrongBox spec
         * when the device declares StrongBox, then, if StrongBox refuses the key, a TEE spec.
         */
        internal fun generateAttested(
            context: Context,
            alias: String,
            challenge: ByteArray,
            generate: (KeyGenParameterSpec) -> Unit,
        ) {
            if (challenge.isEmpty()) throw SignerException.Failed(detail = "empty attestation challenge")
            withStrongBoxFallback(context) { strongBox -> generate(keySpec(alias, strongBox, challenge)) }
        }

        /**
         * The attestation certificate chain of the key [alias], each certificate DER, leaf first
         * (KeyStore.getCertificateChain): what the issuer's `verify_android` takes.
         */
        @JvmStatic
        fun attestationChain(alias: String): List<ByteArray> {
            val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            return chainDer(alias, keyStore.getCertificateChain(alias))
        }

        /** The DER of each certificate of [chain], in order; no chain is an error. */
        internal fun chainDer(alias: String, chain: Array<Certificate>?): List<ByteArray> {
            if (chain.isNullOrEmpty()) throw SignerException.Failed(detail = "no certificate chain under $alias")
            return chain.map { it.encoded }
        }

        /** Whether the key [alias] lives in StrongBox (`null`: unknown before API 31, or no key). */
        @JvmStatic
        fun isStrongBoxBacked(alias: String): Boolean? {
            if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) return null
            val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            val key = keyStore.getKey(alias, null) as? PrivateKey ?: return null
            val info = KeyFactory.getInstance(key.algorithm, ANDROID_KEYSTORE).getKeySpec(key, KeyInfo::class.java)
            return info.securityLevel == KeyProperties.SECURITY_LEVEL_STRONGBOX
        }

        private fun generate(context: Context, alias: String) {
            val generator = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE)
            withStrongBoxFallback(context) { strongBox ->
                generator.initialize(keySpec(alias, strongBox))
                generator.generateKeyPair()
            }
        }

        /**
         * The key's parameters: P-256, sign/verify only, SHA-256, in StrongBox if [strongBox]
         * (which callers set only on API 28+), attested over [challenge] when one is given
         * (the Keystore then certifies the key with a chain to Google's roots). No
         * user-authentication requirement: a payment is approved by the app's own UI before
         * the tap; add one here if your policy wants it.
         */
        internal fun keySpec(alias: String, strongBox: Boolean, challenge: ByteArray? = null): KeyGenParameterSpec =
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN or KeyProperties.PURPOSE_VERIFY)
                .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                .setDigests(KeyProperties.DIGEST_SHA256)
                .apply { if (challenge != null) setAttestationChallenge(challenge) }
                .apply { if (strongBox) strongBoxBacked() }
                .build()

        /**
         * The SEC1 uncompressed point (`04 ‖ x ‖ y`, 65 bytes) of a P-256 public key, read
         * from its coordinates (not by slicing the X.509 encoding).
         */
        internal fun sec1Uncompressed(key: PublicKey): ByteArray {
            val ec = key as? ECPublicKey
                ?: throw SignerException.Failed(detail = "not an EC public key: ${key.algorithm}")
            if (ec.params.curve.field.fieldSize != 256) {
                throw SignerException.Failed(detail = "not a 256-bit curve")
            }
            return byteArrayOf(0x04) + fixed32(ec.w.affineX) + fixed32(ec.w.affineY)
        }

        private fun fixed32(n: BigInteger): ByteArray {
            val raw = n.toByteArray() // big-endian two's complement: maybe a leading 0, maybe short
            if (raw.size > 33 || (raw.size == 33 && raw[0] != 0.toByte())) {
                throw SignerException.Failed(detail = "coordinate longer than 32 bytes")
            }
            val out = ByteArray(32)
            val len = minOf(raw.size, 32)
            System.arraycopy(raw, raw.size - len, out, 32 - len, len)
            return out
        }
    }
}
