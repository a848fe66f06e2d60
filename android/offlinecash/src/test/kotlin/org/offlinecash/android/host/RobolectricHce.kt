// How the shared scenarios (src/sharedTest) run under Robolectric: the HCE service comes from
// Robolectric.buildService (its real onCreate), and waiting for an answer runs the paused main
// looper, since the test thread is the main thread there.
package org.offlinecash.android.host

import android.os.Looper
import org.offlinecash.android.OfflineCashHceService
import org.offlinecash.android.scenarios.HceServices
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf

object RobolectricHce {
    fun install() {
        HceServices.factory = { Robolectric.buildService(OfflineCashHceService::class.java).create().get() }
        HceServices.pump = { shadowOf(Looper.getMainLooper()).idle() }
    }
}
