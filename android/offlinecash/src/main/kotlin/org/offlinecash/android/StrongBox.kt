// StrongBox (a separate secure chip, API 28+) when the device declares one, else the TEE.
package org.offlinecash.android

import android.annotation.TargetApi
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.StrongBoxUnavailableException

/** Whether the device declares a StrongBox Keymaster/KeyMint (API 28+). */
internal fun hasStrongBox(context: Context): Boolean =
    Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

/** Asks for StrongBox; only called with `strongBox = true`, which [hasStrongBox] gates. */
@TargetApi(Build.VERSION_CODES.P)
internal fun KeyGenParameterSpec.Builder.strongBoxBacked(): KeyGenParameterSpec.Builder =
    setIsStrongBoxBacked(true)

/**
 * Runs [generate] in StrongBox if the device has one; if StrongBox refuses the key
 * ([StrongBoxUnavailableException]: absent, busy, or the algorithm unsupported), again in the TEE.
 */
internal inline fun withStrongBoxFallback(context: Context, generate: (strongBox: Boolean) -> Unit) {
    if (hasStrongBox(context)) {
        try {
            generate(true)
            return
        } catch (e: StrongBoxUnavailableException) {
            // Fall through to the TEE.
        }
    }
    generate(false)
}
