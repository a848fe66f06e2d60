// StrongBox (a separate secure chip, API 28+) when the device declares one, else the TEE.
//
// StrongBoxUnavailableException is API 28: only StrongBoxApi28 names it, and that class is
// loaded only after the SDK_INT check, so the library's other classes verify and run on
// API 26 and 27 (lint NewApi; the host test StrongBoxApiLevelTest reads the bytecode).
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
 * Not inline: the catch clause must stay inside [StrongBoxApi28].
 */
internal fun withStrongBoxFallback(context: Context, generate: (strongBox: Boolean) -> Unit) {
    if (hasStrongBox(context) && StrongBoxApi28.tryGenerate(generate)) return
    generate(false)
}

/** The only class that names [StrongBoxUnavailableException]; never loaded below API 28. */
@TargetApi(Build.VERSION_CODES.P)
internal object StrongBoxApi28 {
    /** Whether [generate] succeeded in StrongBox; false when StrongBox refused the key. */
    fun tryGenerate(generate: (strongBox: Boolean) -> Unit): Boolean =
        try {
            generate(true)
            true
        } catch (e: StrongBoxUnavailableException) {
            false
        }
}
