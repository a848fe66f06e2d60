// The Keystore signer's key attestation under Robolectric: the key parameters carry the
// issuer's challenge (setAttestationChallenge), StrongBox is asked first where the device
// declares it and the TEE takes over when StrongBox refuses, and the exported chain is each
// certificate's DER, leaf first (a real Pixel chain, issuer/tests/data/attestation/).
// AndroidKeyStore itself exists only on a device: KeystoreTest (androidTest) covers it.
package org.offlinecash.android.host

import android.content.pm.PackageManager
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.cert.Certificate
import java.security.cert.CertificateFactory
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.SignerException
import org.offlinecash.android.KeystoreSigner
import org.offlinecash.android.scenarios.check
import org.offlinecash.android.scenarios.checkBytes
import org.offlinecash.android.scenarios.checkEquals
import org.offlinecash.android.scenarios.checkThrows
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf

@RunWith(RobolectricTestRunner::class)
class KeystoreAttestationTest {
    private val challenge = "registration-challenge-0001".toByteArray()

    private fun declareStrongBox(declared: Boolean) {
        val app = RuntimeEnvironment.getApplication()
        shadowOf(app.packageManager).setSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE, declared)
    }

    private fun checkWalletKeySpec(spec: KeyGenParameterSpec, alias: String) {
        checkEquals(alias, spec.keystoreAlias, "alias")
        checkBytes(challenge, spec.attestationChallenge ?: ByteArray(0), "attestation challenge")
        checkEquals(KeyProperties.PURPOSE_SIGN or KeyProperties.PURPOSE_VERIFY, spec.purposes, "purposes")
        checkEquals("secp256r1", (spec.algorithmParameterSpec as ECGenParameterSpec).name, "curve")
    }

    /** Attestation: StrongBox is asked with the challenge first; when StrongBox refuses, the TEE is asked with it */
    @Test
    fun strongBoxFirstWithTheChallengeThenTheTee() {
        declareStrongBox(true)
        val asked = mutableListOf<KeyGenParameterSpec>()
        KeystoreSigner.generateAttested(RuntimeEnvironment.getApplication(), "wallet-1", challenge) { spec ->
            asked += spec
            if (spec.isStrongBoxBacked) throw StrongBoxUnavailableException("busy")
        }
        checkEquals(2, asked.size, "generations asked")
        check(asked[0].isStrongBoxBacked) { "StrongBox asked first" }
        check(!asked[1].isStrongBoxBacked) { "then the TEE" }
        asked.forEach { checkWalletKeySpec(it, "wallet-1") }
    }

    /** Attestation: a StrongBox that takes the key is asked once; a device without one goes to the TEE at once */
    @Test
    fun oneGenerationWhenStrongBoxTakesTheKeyOrIsAbsent() {
        declareStrongBox(true)
        val asked = mutableListOf<KeyGenParameterSpec>()
        KeystoreSigner.generateAttested(RuntimeEnvironment.getApplication(), "wallet-2", challenge) { asked += it }
        checkEquals(listOf(true), asked.map { it.isStrongBoxBacked }, "StrongBox only")
        asked.forEach { checkWalletKeySpec(it, "wallet-2") }

        declareStrongBox(false)
        asked.clear()
        KeystoreSigner.generateAttested(RuntimeEnvironment.getApplication(), "wallet-3", challenge) { asked += it }
        checkEquals(listOf(false), asked.map { it.isStrongBoxBacked }, "TEE only")
        asked.forEach { checkWalletKeySpec(it, "wallet-3") }
    }

    /** Attestation: an empty challenge is refused before any key is generated */
    @Test
    fun anEmptyChallengeIsRefused() {
        var generated = 0
        checkThrows<SignerException.Failed>("empty challenge") {
            KeystoreSigner.generateAttested(RuntimeEnvironment.getApplication(), "wallet-4", ByteArray(0)) { generated++ }
        }
        checkEquals(0, generated, "generations")
        check(KeystoreSigner.keySpec("plain", strongBox = false).attestationChallenge == null) { "no challenge unless asked" }
    }

    /** Attestation: the exported chain is each certificate's DER in the Keystore's order, leaf first */
    @Test
    fun theChainIsExportedAsDerLeafFirst() {
        val pem = javaClass.getResourceAsStream("/attestation/tegu_sdk36_SB_EC_2026_ROOT.pem")!!.readBytes().decodeToString()
        val blocks = Regex("-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", RegexOption.DOT_MATCHES_ALL)
            .findAll(pem).map { Base64.getMimeDecoder().decode(it.groupValues[1]) }.toList()
        val certificates: Array<Certificate> =
            CertificateFactory.getInstance("X.509").generateCertificates(pem.byteInputStream()).toTypedArray()
        val exported = KeystoreSigner.chainDer("wallet", certificates)
        checkEquals(5, exported.size, "certificates")
        exported.zip(blocks).forEachIndexed { i, (der, expected) -> checkBytes(expected, der, "certificate $i") }
        checkThrows<SignerException.Failed>("no chain") { KeystoreSigner.chainDer("wallet", null) }
        checkThrows<SignerException.Failed>("empty chain") { KeystoreSigner.chainDer("wallet", emptyArray()) }
    }
}
