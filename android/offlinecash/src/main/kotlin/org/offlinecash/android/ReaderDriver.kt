// The reader side of a payment as OfflineCashReader drives it. The core's ReaderSession is one
// (CoreReader adapts it); the reader class itself only needs these two calls, which keeps it
// testable with any driver and independent of the bindings' exact shapes.
package org.offlinecash.android

import java.io.IOException

/** Sends one command APDU and returns the response; [IOException] when the link broke. */
fun interface ApduTransceiver {
    @Throws(IOException::class)
    fun transceive(command: ByteArray): ByteArray
}

/** One payment, reader side. */
interface ReaderDriver {
    /**
     * Runs the exchange (SELECT first) until the payment is complete on this side. Throws if
     * the core refuses or fails, or if [transceiver] throws.
     */
    fun run(transceiver: ApduTransceiver)

    /** The link broke before completion; the next [run] starts again with SELECT. */
    fun torn()
}
