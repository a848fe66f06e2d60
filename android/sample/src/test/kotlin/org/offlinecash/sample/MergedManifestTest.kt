// The sample's manifest merged with the library's, as the manifest merger unions them: every
// permission the library's classes need at run time, and no backup of the wallet.
package org.offlinecash.sample

import java.io.File
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.offlinecash.android.scenarios.applicationAttribute
import org.offlinecash.android.scenarios.manifestPermissions

class MergedManifestTest {
    private val android = File(System.getProperty("offlinecash.android") ?: "android")
    private val library = File(android, "offlinecash/src/main/AndroidManifest.xml")
    private val sample = File(android, "sample/src/main/AndroidManifest.xml")

    @Test
    fun mergedPermissionsCoverNfcTheIssuerPersistedJobsAndNetworkConstraints() {
        val merged = manifestPermissions(library) + manifestPermissions(sample)
        for (needed in listOf(
            "android.permission.NFC",
            "android.permission.INTERNET",
            "android.permission.RECEIVE_BOOT_COMPLETED",
            "android.permission.ACCESS_NETWORK_STATE",
        )) {
            assertTrue("$needed missing from $merged", needed in merged)
        }
    }

    @Test
    fun theSampleNeitherBacksUpNorOverridesTheLibrarysExtractionRules() {
        assertEquals("false", applicationAttribute(sample, "allowBackup"))
        // An app value would replace the library's rules (tools:replace) or fail the merge.
        assertEquals("", applicationAttribute(sample, "dataExtractionRules"))
        assertEquals("", applicationAttribute(sample, "fullBackupContent"))
    }
}
