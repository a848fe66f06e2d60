// A card session answers only while its screen is in front, with this app's HCE service
// preferred (CardEmulation.setPreferredService) for that time.
package org.offlinecash.android.host

import android.app.Activity
import android.content.ComponentName
import android.content.pm.PackageManager
import org.junit.After
import org.junit.Before
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.offlinecash.android.CardSessionRegistry
import org.offlinecash.android.ForegroundCard
import org.offlinecash.android.OfflineCashHceService
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowCardEmulation
import org.robolectric.shadows.ShadowNfcAdapter

@RunWith(RobolectricTestRunner::class)
class ForegroundCardTest {
    @Before
    fun nfcHardware() {
        ShadowNfcAdapter.setNfcHardwareExists(true)
        shadowOf(RuntimeEnvironment.getApplication().packageManager).apply {
            setSystemFeature(PackageManager.FEATURE_NFC, true)
            setSystemFeature(PackageManager.FEATURE_NFC_HOST_CARD_EMULATION, true)
        }
    }

    @After
    fun reset() {
        CardSessionRegistry.disarm()
        ShadowCardEmulation.reset()
    }

    @Test
    fun armedAndPreferredOnlyBetweenResumeAndPause() {
        val activity = Robolectric.buildActivity(Activity::class.java).setup().get()
        val foreground = ForegroundCard(activity)
        foreground.onPause()
        foreground.set(RecordingCard())
        assertFalse("not armed while paused", CardSessionRegistry.isArmed)

        foreground.onResume()
        assertTrue("armed in onResume", CardSessionRegistry.isArmed)
        assertEquals(ComponentName(activity, OfflineCashHceService::class.java), ShadowCardEmulation.getPreferredService())

        foreground.onPause()
        assertFalse("disarmed in onPause", CardSessionRegistry.isArmed)
        assertNull("preference released in onPause", ShadowCardEmulation.getPreferredService())
    }

    @Test
    fun aCardSetWhileInFrontIsArmedAtOnce() {
        val activity = Robolectric.buildActivity(Activity::class.java).setup().get()
        val foreground = ForegroundCard(activity)
        foreground.onResume()
        assertFalse(CardSessionRegistry.isArmed)
        foreground.set(RecordingCard())
        assertTrue(CardSessionRegistry.isArmed)
    }
}
