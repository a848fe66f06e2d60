// Payments through the real Android classes: a wallet armed in the real OfflineCashHceService
// (the card) and a second wallet's ReaderSession driven by the real OfflineCashReader, joined
// by an in-memory field (HceLink). The same functions run on the host JVM
// under Robolectric (android/scripts/robolectric-check.sh) and on devices (connectedAndroidTest).
package org.offlinecash.android.scenarios

import java.io.File
import org.offlinecash.CardSession
import org.offlinecash.ReaderSession
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.CoreReader
import org.offlinecash.android.arm
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.OfflineCashReader
import org.offlinecash.android.OfflineCashReader.TapResult

/** Two wallets, a funded payer and a payee, as the platform sees them: sessions and balances. */
interface WalletPair : AutoCloseable {
    /** The payee's card session, requesting [amount]. */
    fun payeeCard(amount: Long): CardSession

    /** The payee's card session for its earlier request with this [nonce] (a retry after a tear). */
    fun payeeCardAgain(nonce: ByteArray): CardSession

    /** The payer's reader session, for a link with these limits. */
    fun payerReader(extendedLengthSupported: Boolean, maxTransceiveLength: Int): ReaderSession

    /** The payer's spendable value. */
    fun payerBalance(): Long

    /** The payer's value sent in taps that have not completed. */
    fun payerPending(): Long

    fun payeeBalance(): Long
}

private fun reader(pair: WalletPair, results: MutableList<TapResult>) = OfflineCashReader(
    sessions = { extended, max -> CoreReader(pair.payerReader(extended, max)) },
    listener = { results += it },
)

/** A full payment: payee as the HCE card, payer as the reader, one tap. */
fun fullPaymentOverHce(pair: WalletPair, amount: Long, extended: Boolean = false, maxTransceive: Int = 261) {
    val payer0 = pair.payerBalance()
    val payee0 = pair.payeeBalance()
    val service = HceServices.create()
    CardSessionRegistry.arm(pair.payeeCard(amount))
    try {
        val results = mutableListOf<TapResult>()
        val link = HceLink(service, extended, maxTransceive)
        val result = reader(pair, results).tap(link)
        checkEquals(TapResult.Completed, result, "tap result")
        checkEquals(OfflineCashReader.DEFAULT_TIMEOUT_MILLIS, link.timeoutMillis, "IsoDep timeout set")
        check(!link.connected) { "link closed after the tap" }
        check(link.commands.size >= 3) { "SELECT and two exchanges at least, got ${link.commands.size}" }
        checkEquals(payer0 - amount, pair.payerBalance(), "payer balance")
        checkEquals(0L, pair.payerPending(), "payer pending")
        checkEquals(payee0 + amount, pair.payeeBalance(), "payee balance")
    } finally {
        CardSessionRegistry.disarm()
    }
}

/** The AID the core SELECTs (from the first command of a real tap) is the one apduservice.xml declares. */
fun aidMatchesCore(pair: WalletPair, apduService: File) {
    val service = HceServices.create()
    CardSessionRegistry.arm(pair.payeeCard(1))
    try {
        val link = HceLink(service)
        reader(pair, mutableListOf()).tap(link)
        val select = link.commands.first()
        checkEquals("00A40400", select.copyOfRange(0, 4).hex(), "SELECT by AID header")
        val lc = select[4].toInt() and 0xFF
        checkAidGroup(apduService, select.copyOfRange(5, 5 + lc))
    } finally {
        CardSessionRegistry.disarm()
    }
}

/** How the retry after a tear ended. */
enum class RetryOutcome {
    /** The second tap completed the payment; paid exactly once. */
    COMPLETED,

    /**
     * The payer had committed the payment (pending) before the tear, and the core did not
     * complete it on the second tap: it failed with a typed error, nothing was lost or
     * credited twice, and the pending payment is left to settlement.
     */
    LEFT_PENDING,
}

/**
 * A tap torn at command [tear] (the card's deactivation delivered through the service's
 * onDeactivated), then a second tap with the same reader. A tear before the payer committed
 * the payment must complete on the second tap, paid once. A tear after it must either
 * complete (paid once) or fail with a typed error leaving the value pending; never a crash,
 * a loss, or a double credit.
 */
fun tornTapThenRetry(pair: WalletPair, amount: Long, tear: Tear): RetryOutcome {
    val payer0 = pair.payerBalance()
    val payee0 = pair.payeeBalance()
    val service = HceServices.create()
    val firstCard = pair.payeeCard(amount)
    CardSessionRegistry.arm(firstCard)
    try {
        val reader = reader(pair, mutableListOf())
        val first = reader.tap(HceLink(service, tear = tear))
        check(first is TapResult.Torn) { "first tap with $tear: expected Torn, got $first" }
        // While torn: the payer's value is spendable or pending, the payee has it or not.
        checkEquals(payer0, pair.payerBalance() + pair.payerPending(), "payer spendable + pending while torn")
        check(pair.payeeBalance() == payee0 || pair.payeeBalance() == payee0 + amount) { "payee while torn: ${pair.payeeBalance()}" }
        val committed = pair.payerPending() > 0
        // The bindings' contract: the next tap uses new sessions on both phones, the payee's
        // for the same request (a payer resends a pending payment only for the request it
        // answers; the payee answers a payment it already took with its receipt again).
        CardSessionRegistry.arm(pair.payeeCardAgain(checkNotNull(firstCard.requestNonce()) { "payee nonce" }))
        val second = reader.tap(HceLink(service))
        if (second == TapResult.Completed) {
            checkEquals(payer0 - amount, pair.payerBalance(), "payer balance after $tear")
            checkEquals(0L, pair.payerPending(), "payer pending after $tear")
            checkEquals(payee0 + amount, pair.payeeBalance(), "payee balance after $tear")
            return RetryOutcome.COMPLETED
        }
        check(committed) { "second tap after $tear (payment not yet committed): expected Completed, got $second" }
        check(second is TapResult.Failed && second.error is org.offlinecash.OfflineCashException) {
            "second tap after $tear: expected Completed or a typed failure, got $second"
        }
        checkEquals(payer0 - amount, pair.payerBalance(), "payer spendable after $tear")
        checkEquals(amount, pair.payerPending(), "payer pending after $tear")
        check(pair.payeeBalance() == payee0 || pair.payeeBalance() == payee0 + amount) { "payee after $tear: ${pair.payeeBalance()}" }
        return RetryOutcome.LEFT_PENDING
    } finally {
        CardSessionRegistry.disarm()
    }
}

/** The number of command APDUs of an untorn payment with these link limits. */
fun commandsPerPayment(pair: WalletPair, amount: Long): Int {
    val service = HceServices.create()
    CardSessionRegistry.arm(pair.payeeCard(amount))
    try {
        val link = HceLink(service)
        checkEquals(TapResult.Completed, reader(pair, mutableListOf()).tap(link), "tap")
        return link.commands.size
    } finally {
        CardSessionRegistry.disarm()
    }
}
