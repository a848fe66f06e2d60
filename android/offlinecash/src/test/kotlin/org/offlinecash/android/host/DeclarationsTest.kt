// The library's declarations as files: manifest (permissions, services, backup rules) and the
// AID group, checked against what the platform and the core need.
package org.offlinecash.android.host

import java.io.File
import org.junit.Test
import org.offlinecash.android.scenarios.checkAidGroup
import org.offlinecash.android.scenarios.checkBackupRules
import org.offlinecash.android.scenarios.checkManifest
import org.offlinecash.android.scenarios.hexBytes

/** The android/ directory (system property `offlinecash.android`, else relative to the repo root). */
fun androidDir(): File = File(System.getProperty("offlinecash.android") ?: "android")

class DeclarationsTest {
    private val main = File(androidDir(), "offlinecash/src/main")

    @Test
    fun libraryManifestDeclaresNfcHceTheJobServiceAndItsPermissions() = checkManifest(File(main, "AndroidManifest.xml"))

    @Test
    fun apduServiceHasOneAidGroupCategoryOtherAndRequiresUnlock() =
        checkAidGroup(File(main, "res/xml/apduservice.xml"), hexBytes("F04F4341534801"))

    @Test
    fun backupsAndDeviceTransfersNeverCarryTheWallet() =
        checkBackupRules(File(main, "AndroidManifest.xml"), File(main, "res"))
}
