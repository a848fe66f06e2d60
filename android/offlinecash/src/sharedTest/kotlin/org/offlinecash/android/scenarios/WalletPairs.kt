// Two real wallets, registered and funded at a real issuer over HTTP: the host check starts
// target/debug/offline-cash-issuer on 127.0.0.1; instrumented tests are given an issuer URL
// (an emulator reaches the host's issuer at 10.0.2.2). Accounts are created through the
// issuer's admin endpoint, exactly as the issuer's own tests do.
package org.offlinecash.android.scenarios

import java.io.File
import java.net.HttpURLConnection
import java.net.URL
import java.util.UUID
import javax.crypto.KeyGenerator
import kotlinx.coroutines.runBlocking
import org.offlinecash.CardSession
import org.offlinecash.KeyWrapper
import org.offlinecash.NfcRole
import org.offlinecash.ReaderSession
import org.offlinecash.Suite
import org.offlinecash.Wallet
import org.offlinecash.WalletConfig
import org.offlinecash.android.KeystoreKeyWrapper

/** An issuer reachable at [url], whose admin endpoints take [adminToken]. */
class IssuerAccess(val url: String, val adminToken: String) {
    /** Creates an account with [balance] minor units online; returns its credential. */
    fun createAccount(balance: Long): String {
        val ref = "android-" + UUID.randomUUID().toString().take(8)
        val conn = URL(url.trimEnd('/') + "/v1/admin/accounts").openConnection() as HttpURLConnection
        conn.requestMethod = "POST"
        conn.doOutput = true
        conn.setRequestProperty("Authorization", "Bearer $adminToken")
        conn.setRequestProperty("Content-Type", "application/json")
        conn.outputStream.use { it.write("""{"customer_ref":"$ref","balance":$balance}""".toByteArray()) }
        val status = conn.responseCode
        val body = (if (status in 200..299) conn.inputStream else conn.errorStream).bufferedReader().use { it.readText() }
        check(status in 200..299) { "create account: HTTP $status $body" }
        return Regex("\"credential\"\\s*:\\s*\"([^\"]+)\"").find(body)?.groupValues?.get(1)
            ?: throw AssertionError("no credential in $body")
    }
}

/** Opens a wallet in [dir] with a software key of [suite] wrapped by [wrapper]; registers and funds it. */
fun fundedWallet(
    issuer: IssuerAccess,
    dir: File,
    notes: List<Long>,
    suite: Suite = Suite.ECDSA_P256,
    wrapper: KeyWrapper = KeystoreKeyWrapper.withKey(KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()),
): Wallet {
    val credential = issuer.createAccount(notes.sum())
    val config = WalletConfig(
        issuerUrl = issuer.url,
        accountCredential = credential,
        suite = suite,
        maxClockSkewSecs = 300uL,
        requestTtlSecs = 600uL,
        // The emulator reaches the host's test issuer over plain HTTP at 10.0.2.2 (not
        // loopback from the device): the development switch, never for an app.
        allowInsecureHttp = true,
    )
    dir.mkdirs()
    val wallet = Wallet.openSoftware(File(dir, "wallet-${UUID.randomUUID()}.db").path, config, wrapper)
    runBlocking {
        wallet.register()
        if (notes.isNotEmpty()) wallet.fund(notes.map { it.toULong() })
    }
    return wallet
}

/** A payer funded with [notes] and an empty payee, as real wallets at [issuer]. */
class IssuerWalletPair(issuer: IssuerAccess, dir: File, notes: List<Long>, suite: Suite = Suite.ECDSA_P256) : WalletPair {
    val payer: Wallet = fundedWallet(issuer, dir, notes, suite)
    val payee: Wallet = fundedWallet(issuer, dir, emptyList(), suite)

    override fun payeeCard(amount: Long): CardSession =
        payee.cardSession(NfcRole.PAYEE, amount.toULong(), false)

    override fun payeeCardAgain(nonce: ByteArray): CardSession = payee.cardSessionAgain(nonce, false)

    override fun payerReader(extendedLengthSupported: Boolean, maxTransceiveLength: Int): ReaderSession =
        payer.readerSession(NfcRole.PAYER, null, extendedLengthSupported, maxTransceiveLength.toUInt())

    override fun payerBalance(): Long = payer.balance().spendable.toLong()

    override fun payerPending(): Long = payer.balance().pending.toLong()

    override fun payeeBalance(): Long = payee.balance().total.toLong()

    override fun close() {
        payer.close()
        payee.close()
    }
}
