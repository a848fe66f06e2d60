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
}
