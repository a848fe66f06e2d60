// Which sync failures are worth a retry. The core classifies its own errors (a network
// failure says whether it is retryable); this only reads that classification, and treats
// the JVM's own I/O failures as transient.
package org.offlinecash.android

import java.io.IOException
import org.offlinecash.OfflineCashException

internal object SyncErrors {
    fun isRetryable(e: Exception): Boolean = when (e) {
        is OfflineCashException.Network -> e.retryable
        is IOException -> true
        else -> false
    }
}
