// Entry point of android/scripts/jvm-check.sh: every host check, one closing line.
package org.offlinecash.android.host

import java.io.File
import org.offlinecash.android.scenarios.checkAidGroup
import org.offlinecash.android.scenarios.checkManifest
import org.offlinecash.android.scenarios.hexBytes
import org.offlinecash.tests.TestRunner

fun main() {
    installHostServiceFactory()
    val t = TestRunner()
    val apduService = File(System.getProperty("offlinecash.apduservice") ?: "android/offlinecash/src/main/res/xml/apduservice.xml")
    val manifest = File(System.getProperty("offlinecash.manifest") ?: "android/offlinecash/src/main/AndroidManifest.xml")

    t.test("library manifest declares NFC, HCE (BIND_NFC_SERVICE, intent filter, meta-data) and the job service") {
        checkManifest(manifest)
    }
    t.test("apduservice.xml: one AID group, category other, AID F04F4341534801, device unlock required") {
        checkAidGroup(apduService, hexBytes("F04F4341534801"))
    }
    platformChecks(t)
    linkChecks(t)
    walletChecks(t, apduService)
    t.runAndExit()
}
