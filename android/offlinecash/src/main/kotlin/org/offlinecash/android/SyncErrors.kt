// Which sync failures are worth a retry. The core classifies its own errors; this only reads
// that classification (and treats the JVM's I/O failures as transient).
package org.offlinecash.android

import java.io.IOException

internal object SyncErrors {
    fun isRetryable(e: Exception): Boolean = when (e) {
        is IOException -> true
        else -> false
    }
}
