// Entry point of android/scripts/jvm-check.sh: every host check, one closing line.
package org.offlinecash.android.host

import java.io.File
import org.offlinecash.android.scenarios.checkManifest

fun main() {
    val t = TestRunner()
    val apduService = File(System.getProperty("offlinecash.apduservice") ?: "android/offlinecash/src/main/res/xml/apduservice.xml")
    val manifest = File(System.getProperty("offlinecash.manifest") ?: "android/offlinecash/src/main/AndroidManifest.xml")

    t.test("library manifest declares NFC, HCE (BIND_NFC_SERVICE, intent filter, meta-data) and the job service") {
        checkManifest(manifest)
    }
    platformChecks(t)
    walletChecks(t, apduService)
    t.runAndExit()
}
