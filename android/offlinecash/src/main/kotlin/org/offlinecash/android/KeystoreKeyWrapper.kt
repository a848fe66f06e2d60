// Wraps the wallet's software secret (ML-DSA or composite keys, which no phone holds in
// hardware) with an AES-256-GCM key that never leaves the Android Keystore.
//
//   core ──secret──► wrap ──► IV (12) ‖ ciphertext ‖ tag (16) ──► stored by the core
//   core ◄─secret─── unwrap ◄─ the same bytes
//
// The output format is this class's own; the core treats it as opaque bytes.
package org.offlinecash.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.offlinecash.KeyWrapper
import org.offlinecash.KeyWrapperException

/** A [KeyWrapper] over an AES-256-GCM key; create it with [getOrCreate]. */
class KeystoreKeyWrapper internal constructor(private val key: () -> SecretKey) : KeyWrapper {

    override fun wrap(secret: ByteArray): ByteArray = guarded {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // No IV from us: the Keystore insists on choosing a fresh random one (randomized
        // encryption), and we store it in front of the ciphertext.
        cipher.init(Cipher.ENCRYPT_MODE, key())
        val iv = cipher.iv
        if (iv == null || iv.size != IV_BYTES) {
            throw KeyWrapperException.Failed(detail = "unexpected GCM IV of ${iv?.size} bytes")
        }
        iv + cipher.doFinal(secret)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < IV_BYTES + TAG_BYTES) {
            throw KeyWrapperException.Failed(detail = "wrapped key of ${wrapped.size} bytes is too short")
        }
        return guarded {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BYTES * 8, wrapped, 0, IV_BYTES))
            // A wrong key or altered bytes fail the GCM tag check (AEADBadTagException).
            cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
        }
    }

    private inline fun guarded(body: () -> ByteArray): ByteArray = try {
        body()
    } catch (e: GeneralSecurityException) {
        throw KeyWrapperException.Failed(detail = e.toString())
    } catch (e: ProviderException) {
        throw KeyWrapperException.Failed(detail = e.toString())
    }

    companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BYTES = 16

        /** The wrapper over the Keystore AES key [alias], generated first if absent. */
        @JvmStatic
        fun getOrCreate(context: Context, alias: String): KeystoreKeyWrapper {
            val keyStore = KeyStore.getInstance(KeystoreSigner.ANDROID_KEYSTORE).apply { load(null) }
            if (!keyStore.containsAlias(alias)) generate(context, alias)
            return KeystoreKeyWrapper {
                keyStore.getKey(alias, null) as? SecretKey
                    ?: throw KeyWrapperException.Failed(detail = "no AES key under $alias")
            }
        }

        /** A wrapper over any AES-256 key: for tests and for keys the app manages itself. */
        @JvmStatic
        fun withKey(key: SecretKey): KeystoreKeyWrapper = KeystoreKeyWrapper { key }

        private fun generate(context: Context, alias: String) {
            val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KeystoreSigner.ANDROID_KEYSTORE)
            withStrongBoxFallback(context) { strongBox ->
                generator.init(keySpec(alias, strongBox))
                generator.generateKey()
            }
        }

        internal fun keySpec(alias: String, strongBox: Boolean): KeyGenParameterSpec =
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setKeySize(256)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setRandomizedEncryptionRequired(true)
                .apply { if (strongBox) strongBoxBacked() }
                .build()
    }
}
