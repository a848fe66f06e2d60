// The HCE declarations (AID group, manifest) parsed with javax.xml and checked against what the
// core uses: the AID in its SELECT command. Host only: on a device the files are compiled
// into binary XML and Android itself checks them when it registers the service.
package org.offlinecash.android.scenarios

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Element

private const val ANDROID_NS = "http://schemas.android.com/apk/res/android"

private fun parse(file: File): Element {
    val factory = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
    return factory.newDocumentBuilder().parse(file).documentElement
}

private fun Element.children(name: String): List<Element> {
    val nodes = getElementsByTagName(name)
    return (0 until nodes.length).map { nodes.item(it) as Element }
}

private fun Element.android(attr: String): String = getAttributeNS(ANDROID_NS, attr)

/** The AIDs of `apduservice.xml`, per category. */
fun aidGroups(apduService: File): Map<String, List<String>> {
    val root = parse(apduService)
    check(root.tagName == "host-apdu-service") { "root element is ${root.tagName}" }
    return root.children("aid-group").associate { group ->
        group.android("category") to group.children("aid-filter").map { it.android("name") }
    }
}

/** Checks the AID group against [coreAid], the AID the core SELECTs. */
fun checkAidGroup(apduService: File, coreAid: ByteArray) {
    val groups = aidGroups(apduService)
    checkEquals(setOf("other"), groups.keys, "AID group categories")
    checkEquals(listOf(coreAid.hex()), groups["other"], "AIDs in the 'other' group")
    checkEquals("true", parse(apduService).android("requireDeviceUnlock"), "requireDeviceUnlock")
}

/** Checks the library manifest's NFC declarations. */
fun checkManifest(manifest: File) {
    val root = parse(manifest)
    val permissions = root.children("uses-permission").map { it.android("name") }
    check("android.permission.NFC" in permissions) { "no NFC permission: $permissions" }
    val features = root.children("uses-feature").map { it.android("name") }
    check("android.hardware.nfc.hce" in features) { "no HCE feature: $features" }

    val hce = root.children("service").singleOrNull { it.android("name").endsWith(".OfflineCashHceService") }
        ?: throw AssertionError("no OfflineCashHceService in the manifest")
    checkEquals("android.permission.BIND_NFC_SERVICE", hce.android("permission"), "HCE service permission")
    checkEquals("true", hce.android("exported"), "HCE service exported (the NFC service binds it)")
    val actions = hce.children("action").map { it.android("name") }
    checkEquals(listOf("android.nfc.cardemulation.action.HOST_APDU_SERVICE"), actions, "HCE intent filter")
    val meta = hce.children("meta-data").singleOrNull() ?: throw AssertionError("no HCE meta-data")
    checkEquals("android.nfc.cardemulation.host_apdu_service", meta.android("name"), "meta-data name")
    checkEquals("@xml/apduservice", meta.android("resource"), "meta-data resource")

    val sync = root.children("service").singleOrNull { it.android("name").endsWith(".SyncJobService") }
        ?: throw AssertionError("no SyncJobService in the manifest")
    checkEquals("android.permission.BIND_JOB_SERVICE", sync.android("permission"), "job service permission")
    check("android.permission.RECEIVE_BOOT_COMPLETED" in permissions) { "persisted jobs need RECEIVE_BOOT_COMPLETED" }
    // From targetSdk 34 JobScheduler.schedule throws SecurityException for a job with a
    // network constraint unless the app holds ACCESS_NETWORK_STATE.
    check("android.permission.ACCESS_NETWORK_STATE" in permissions) { "network-constrained jobs need ACCESS_NETWORK_STATE" }
}

/** The `uses-permission` names of a manifest. */
fun manifestPermissions(manifest: File): Set<String> =
    parse(manifest).children("uses-permission").map { it.android("name") }.toSet()

/** An `android:` attribute of the manifest's `<application>`, `""` when absent. */
fun applicationAttribute(manifest: File, attr: String): String =
    parse(manifest).children("application").singleOrNull()?.android(attr) ?: ""

/** The wallet's database files, which neither a backup nor a device transfer may carry. */
val WALLET_FILES = listOf("wallet.db", "wallet.db-wal", "wallet.db-shm")

/**
 * Checks that the manifest's backup rules (res/xml under [resDir]) exclude [WALLET_FILES]
 * from cloud backups and device-to-device transfers (Android 12+, `dataExtractionRules`) and
 * from Android 11's full backups (`fullBackupContent`).
 */
fun checkBackupRules(manifest: File, resDir: File) {
    fun xml(attr: String): Element {
        val ref = applicationAttribute(manifest, attr)
        check(ref.startsWith("@xml/")) { "android:$attr is '$ref', not an @xml/ resource" }
        return parse(File(resDir, "xml/${ref.removePrefix("@xml/")}.xml"))
    }
    fun excluded(section: Element): Set<String> =
        section.children("exclude").filter { it.getAttribute("domain") == "file" }.map { it.getAttribute("path") }.toSet()

    val extraction = xml("dataExtractionRules")
    checkEquals("data-extraction-rules", extraction.tagName, "dataExtractionRules root")
    for (name in listOf("cloud-backup", "device-transfer")) {
        val section = extraction.children(name).singleOrNull() ?: throw AssertionError("no <$name> section")
        check(excluded(section).containsAll(WALLET_FILES)) { "<$name> excludes ${excluded(section)}, not all of $WALLET_FILES" }
    }
    val full = xml("fullBackupContent")
    checkEquals("full-backup-content", full.tagName, "fullBackupContent root")
    check(excluded(full).containsAll(WALLET_FILES)) { "full backups exclude ${excluded(full)}, not all of $WALLET_FILES" }
}
